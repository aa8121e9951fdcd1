"""DTM's result protocol, both ways."""

import pytest

from saga.result import DtmDuplicated, DtmError, DtmFailure, DtmOngoing, answer_for, check_response, scrub, success


@pytest.mark.parametrize(
    "status, text, expected",
    [
        (409, "", DtmFailure),
        (200, '{"dtm_result":"FAILURE"}', DtmFailure),
        (500, "FAILURE inside an error body", DtmFailure),
        (425, "", DtmOngoing),
        (200, '{"dtm_result":"ONGOING"}', DtmOngoing),
        (500, "boom", DtmError),
        (404, "not found", DtmError),
    ],
)
def test_check_response_reads_answers_like_dtm(status, text, expected):
    with pytest.raises(expected):
        check_response(status, text)


def test_check_response_accepts_success():
    assert check_response(200, '{"dtm_result":"SUCCESS"}') is None


@pytest.mark.parametrize(
    "error, status, result",
    [
        (DtmFailure("sold out"), 409, "FAILURE"),
        (DtmDuplicated("g1"), 409, "FAILURE"),
        (DtmOngoing("later"), 425, "ONGOING"),
    ],
)
def test_answer_for_dtm_outcomes(error, status, result):
    body, code = answer_for(error)
    assert code == status and body["dtm_result"] == result
    assert body["error"] == str(error)  # every answer but SUCCESS says why under "error"


def test_a_transient_error_never_answers_failure():
    body, code = answer_for(ConnectionError("Redis said FAILURE and ONGOING"))
    assert code == 500
    assert "FAILURE" not in str(body) and "ONGOING" not in str(body)
    assert "ConnectionError" in body["error"]
    check_response_raises_error = pytest.raises(DtmError)
    with check_response_raises_error:  # what DTM would make of it: retry, not a final no
        check_response(code, str(body))


def test_success_refuses_to_carry_failure():
    assert success(gid="g1") == ({"dtm_result": "SUCCESS", "gid": "g1"}, 200)
    with pytest.raises(ValueError):
        success(gid="FAILURE-1")


def test_scrub_only_changes_the_two_words():
    assert scrub("a FAILURE, an ONGOING, a failure") == "a failure, an ongoing, a failure"
