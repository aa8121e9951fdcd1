"""The branch seal binds a payload to one gid, branch, endpoint and op (saga/branch_seal.py)."""

import json

import pytest

from saga import Msg, Saga
from saga.branch_seal import FIELD, InvalidSeal, branch_id, endpoint, seal, verify
from saga.branch_token import HEADER

SECRET = "s3cret"
PAYLOAD = {"user_id": 7, "order_gid": "{p1}-abc", "price": "12.50"}
URLS = ("http://127.0.0.1:8081/api/busi/charge", "http://127.0.0.1:8081/api/busi/chargeCompensate")


def sealed():
    return seal(SECRET, "g1", "01", PAYLOAD, *URLS)


def test_the_sealed_call_passes_for_its_action_and_its_compensation():
    assert verify(SECRET, "g1", "01", "action", "charge", sealed()) == PAYLOAD
    assert verify(SECRET, "g1", "01", "compensate", "chargeCompensate", sealed()) == PAYLOAD


@pytest.mark.parametrize(
    "gid, branch, op, called, change, says",
    [
        ("g2", "01", "action", "charge", {}, "does not match"),  # another transaction
        ("g1", "02", "action", "charge", {}, "does not match"),  # another branch id
        ("g1", "01", "action", "chargeCompensate", {}, "not sealed for chargeCompensate"),  # op=action, compensation
        ("g1", "01", "compensate", "charge", {}, "not sealed for charge"),
        ("g1", "01", "msg", "charge", {}, "not sealed"),
        ("g1", "01", "action", "markPaid", {}, "not sealed for markPaid"),  # another endpoint
        ("g1", "01", "action", "charge", {"price": "5000.00"}, "does not match"),  # another payload
        ("g1", "01", "action", "charge", {"extra": 1}, "does not match"),
    ],
)
def test_anything_else_is_refused(gid, branch, op, called, change, says):
    with pytest.raises(InvalidSeal, match=says):
        verify(SECRET, gid, branch, op, called, {**sealed(), **change})


def test_a_payload_without_seal_or_with_another_secret_is_refused():
    with pytest.raises(InvalidSeal, match=f"missing {FIELD}"):
        verify(SECRET, "g1", "01", "action", "charge", PAYLOAD)
    with pytest.raises(InvalidSeal, match="does not match"):
        verify(SECRET, "g1", "01", "action", "charge", seal("other", "g1", "01", PAYLOAD, *URLS))


def test_endpoint_and_branch_ids():
    assert endpoint("http://h:1/api/busi/createOrder?x=1") == "createOrder" and endpoint("") == ""
    assert [branch_id(i) for i in range(3)] == ["01", "02", "03"]


class _Client:
    url, timeout = "http://dtm", 3


def test_msg_and_saga_seal_each_step_for_its_branch_and_carry_the_token():
    msg = Msg(_Client(), "g1", branch_secret=SECRET).add(PAYLOAD, "http://h/api/busi/createOrder")
    saga = Saga(_Client(), "g2", branch_secret=SECRET).add(PAYLOAD, *URLS).add(PAYLOAD, "http://h/m", "http://h/mc")
    [body] = [json.loads(p) for p in msg.trans_base.payloads]
    assert verify(SECRET, "g1", "01", "action", "createOrder", body) == PAYLOAD
    second = json.loads(saga.trans_base.payloads[1])
    assert verify(SECRET, "g2", "02", "compensate", "mc", second) == PAYLOAD
    assert HEADER in msg.trans_base.branch_headers and HEADER in saga.trans_base.branch_headers
    unsealed = Saga(_Client(), "g3").add(PAYLOAD, *URLS)
    assert unsealed.trans_base.payloads == [json.dumps(PAYLOAD)] and unsealed.trans_base.branch_headers == {}
