"""Request parameter parsing: every bad value is an InvalidInput (a 400)."""

import pytest

from busi.domain.refusals import InvalidInput
from busi.entrypoints.inputs import INT_COLUMN_MAX, INT_MAX, LIMIT_PER_BUYER, parse_int, parse_limit


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


@pytest.mark.parametrize("raw, expected", [("1", 1), ("3", 3), ("none", None)])
def test_parse_limit_takes_a_positive_integer_or_none(raw, expected):
    assert parse_limit({LIMIT_PER_BUYER: raw}) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "", "many", "1.5", "None", str(INT_COLUMN_MAX + 1)])
def test_parse_limit_refuses_the_rest_and_says_how_to_remove_one(raw):
    with pytest.raises(InvalidInput, match=LIMIT_PER_BUYER):
        parse_limit({LIMIT_PER_BUYER: raw})


def test_parse_limit_default_only_when_absent():
    assert parse_limit({}, default=None) is None
