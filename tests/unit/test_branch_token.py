"""The branch token: HMAC-SHA256 of the gid under the secret."""

import hashlib
import hmac

import pytest

from saga import InvalidToken, branch_token

SECRET = "s3cret"


def test_the_token_is_the_hmac_of_the_gid():
    expected = hmac.new(b"s3cret", b"{p1}-abc", hashlib.sha256).hexdigest()
    assert branch_token.sign(SECRET, "{p1}-abc") == expected
    assert branch_token.headers(SECRET, "{p1}-abc") == {"Dtm-Branch-Token": expected}


def test_the_right_token_passes():
    branch_token.verify(SECRET, "g1", branch_token.sign(SECRET, "g1"))


@pytest.mark.parametrize(
    "gid, token, says",
    [
        ("g1", None, "missing header Dtm-Branch-Token"),
        ("g1", "", "missing header Dtm-Branch-Token"),
        ("", branch_token.sign(SECRET, ""), "missing query parameter gid"),
        ("g2", branch_token.sign(SECRET, "g1"), "not valid for this gid"),  # another gid's token
        ("g1", branch_token.sign("other secret", "g1"), "not valid for this gid"),
        ("g1", branch_token.sign(SECRET, "g1").upper(), "not valid for this gid"),
    ],
)
def test_anything_else_is_refused_saying_why(gid, token, says):
    with pytest.raises(InvalidToken, match=says):
        branch_token.verify(SECRET, gid, token)
