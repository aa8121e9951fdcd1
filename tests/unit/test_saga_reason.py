"""Reading why a saga failed from the rollback_reason DTM stores."""

from saga.saga import reason_of

STORED = (
    "url:http://127.0.0.1:8081/api/busi/charge return failed: "
    '{"dtm_result":"failure","error":"insufficient balance: user 42 has less than 12.50"} failure'
)


def test_the_branch_s_error_is_read_from_dtm_s_text():
    assert reason_of(STORED) == "insufficient balance: user 42 has less than 12.50"


def test_a_reason_without_an_answer_body_is_kept_whole():
    assert reason_of("context deadline exceeded") == "context deadline exceeded"
    assert reason_of("no json {here") == "no json {here"
