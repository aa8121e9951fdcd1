"""The real DTM server, through the pooled client: a message's states."""

import json
import uuid

import pytest

from saga import DtmFailure, Msg


def test_prepare_then_abort_fails_the_message(dtm):
    msg = Msg(dtm, f"test-{uuid.uuid4().hex}").add({"n": 1}, "http://127.0.0.1:1/never-called")
    msg.prepare("http://127.0.0.1:1/never-called")
    assert dtm.query(msg.gid)["transaction"]["status"] == "prepared"
    msg.abort()
    assert dtm.query(msg.gid)["transaction"]["status"] == "failed"
    with pytest.raises(DtmFailure):  # DTM's 409: not prepared any more
        msg.submit()


def test_the_message_carries_our_timeouts(dtm):
    msg = Msg(dtm, f"test-{uuid.uuid4().hex}", timeout_to_fail=3).add({}, "http://127.0.0.1:1/x")
    msg.prepare("http://127.0.0.1:1/x")
    stored = dtm.query(msg.gid)["transaction"]
    stored.update(json.loads(stored.get("options") or "{}"))  # the SQL store keeps them in one column
    msg.abort()
    assert stored["query_prepared"] == "http://127.0.0.1:1/x"
    assert stored["timeout_to_fail"] == 3 and stored["next_cron_interval"] == 3  # back-query after 3 s
    assert stored["request_timeout"] == 3  # dtmcli would have sent 8


def test_unknown_gid(dtm):
    assert dtm.query(f"test-{uuid.uuid4().hex}")["transaction"] is None
