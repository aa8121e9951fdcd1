"""The branch token: proof that a branch call comes from DTM, about the transaction it names.

A branch (or back-query) URL is reachable by anyone who can reach the service, and it
acts on the gid in its query string. So the service that starts a transaction puts
HMAC-SHA256(secret, gid) in the transaction's `branch_headers`, which DTM stores and sends
with every branch and back-query call of that transaction; a branch recomputes it from
the gid it is given. Only DTM (and the service) hold a token, and one gid's token is
worth nothing for another gid.
"""

import hashlib
import hmac

HEADER = "Dtm-Branch-Token"


class InvalidToken(Exception):
    """A branch call without a valid token for its gid: answered 401, nothing touched."""


def sign(secret, gid):
    """The token of one global transaction."""
    return hmac.new(secret.encode(), gid.encode(), hashlib.sha256).hexdigest()


def headers(secret, gid):
    """The `branch_headers` that carry the token of gid."""
    return {HEADER: sign(secret, gid)}


def verify(secret, gid, token):
    """Return if token is gid's; raise InvalidToken saying what is wrong otherwise."""
    if not token:
        raise InvalidToken(
            f"missing header {HEADER}: this endpoint is a branch that only DTM calls, "
            "with the token the service put in the transaction's branch_headers"
        )
    if not gid:
        raise InvalidToken("missing query parameter gid: a branch token is checked against the gid it was made for")
    if not hmac.compare_digest(sign(secret, gid), token):  # constant time: no byte-by-byte oracle
        raise InvalidToken(f"the {HEADER} header is not valid for this gid")
