"""Request parameter parsing: every bad value is an InvalidInput (a 400)."""

import pytest

from busi.domain.refusals import InvalidInput
from busi.entrypoints.inputs import INT_MAX, parse_int


@pytest.mark.parametrize("raw, expected", [("7", 7), (7, 7), ("0", 0), (str(INT_MAX), INT_MAX)])
def test_parse_int_accepts_integers(raw, expected):
    assert parse_int({"n": raw}, "n") == expected


@pytest.mark.parametrize(
    "raw", ["abc", "1.5", "1_000", " 1", "", True, 1.0, None, [1], str(INT_MAX + 1), "-1", "9" * 5000]
)
def test_parse_int_refuses_the_rest(raw):
    with pytest.raises(InvalidInput):
        parse_int({"n": raw}, "n")


def test_parse_int_default_only_when_absent():
    assert parse_int({}, "n", default=1) == 1
    with pytest.raises(InvalidInput, match="missing n"):
        parse_int({}, "n")
    with pytest.raises(InvalidInput):
        parse_int({"n": "x"}, "n", default=1)
