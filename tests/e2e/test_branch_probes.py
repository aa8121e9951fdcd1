"""A branch call is good for one branch of one transaction, with its own payload.

Each probe does what a caller who can read DTM's API can do: take a real transaction's
branch token and sealed payload from DTM, and change the endpoint, the op, the branch id or
the payload. Each gets a 401 and changes nothing. The very call DTM makes, replayed, is
absorbed by the barrier."""

import base64
import json
from decimal import Decimal

import pytest

from busi.domain import expiry
from saga import branch_token
from tests.conftest import wait_until
from tests.e2e.conftest import PRICE, order_status, product_of, wallet

SAGA, MSG = {"trans_type": "saga"}, {"trans_type": "msg"}


def from_dtm(dtm, gid, branch_id, op="action"):
    """(the token DTM sends with gid's branches, the payload of one branch), read from DTM's API."""
    record = dtm.query(gid)
    # The SQL store (the HA stack) keeps the options, branch_headers among them, in one column.
    trans = {**record["transaction"], **json.loads(record["transaction"].get("options") or "{}")}
    token = trans["branch_headers"][branch_token.HEADER]
    [branch] = [b for b in record["branches"] if b["branch_id"] == branch_id and b["op"] == op]
    return {branch_token.HEADER: token}, json.loads(base64.b64decode(branch["bin_data"]))


def call(busi, endpoint, gid, branch_id, op, headers, payload, trans=SAGA):
    return busi.session.post(
        f"{busi.url}/{endpoint}",
        params={"gid": gid, **trans, "branch_id": branch_id, "op": op},
        headers=headers,
        json=payload,
    )


@pytest.fixture
def paid(busi, dtm, order_of):
    """A paid order of user 66 and its payment saga's gid, as DTM has them."""
    gid = order_of(user_id=66)
    answer = busi.post("pay", gid=gid)
    assert answer.status_code == 200, answer.text
    return gid, answer.json()["gid"]


def test_the_charge_s_payload_cannot_refund_a_made_up_price(busi, dtm, paid):
    order, saga = paid
    headers, payload = from_dtm(dtm, saga, "02")
    before = wallet(busi, 66)
    for op, branch_id, body in (
        ("action", "02", {**payload, "price": "5000.00"}),  # the probe: op=action on the compensation
        ("compensate", "02", {**payload, "price": "5000.00"}),
        ("compensate", "x6", payload),  # a new branch id, so that the barrier would not know it
    ):
        response = call(busi, "chargeCompensate", saga, branch_id, op, headers, body)
        assert response.status_code == 401, (op, branch_id, response.text)
        assert "seal" in response.json()["error"] or "not sealed" in response.json()["error"]
    assert wallet(busi, 66) == before == Decimal("100.00") - PRICE
    assert order_status(busi, product_of(order), order) == "paid"


def test_the_charge_cannot_be_turned_on_another_wallet(busi, dtm, paid):
    _, saga = paid
    headers, payload = from_dtm(dtm, saga, "02")
    other = wallet(busi, 67)
    response = call(busi, "charge", saga, "02", "action", headers, {**payload, "user_id": 67})
    assert response.status_code == 401 and wallet(busi, 67) == other


def test_mark_paid_cannot_mark_another_order(busi, dtm, paid, order_of):
    _, saga = paid
    unpaid = order_of(user_id=68)
    headers, payload = from_dtm(dtm, saga, "03")
    response = call(busi, "markPaid", saga, "03", "action", headers, {**payload, "order_gid": unpaid})
    assert response.status_code == 401
    assert order_status(busi, product_of(unpaid), unpaid) == "created"


def test_the_very_call_dtm_made_replayed_changes_nothing(busi, dtm, paid):
    order, saga = paid
    headers, payload = from_dtm(dtm, saga, "02")
    response = call(busi, "charge", saga, "02", "action", headers, payload)
    assert response.status_code == 200  # the barrier: already done
    assert wallet(busi, 66) == Decimal("100.00") - PRICE


def test_restock_s_token_adds_no_unit_under_new_branch_ids_nor_takes_one_with_op_action(busi, dtm, new_product):
    product = new_product(1)
    busi.post("reset", stock=1, product_id=product, pay_within_s=1).raise_for_status()
    order = busi.purchase(90, product).json()["gid"]
    saga = expiry.saga_gid(order)
    assert wait_until(lambda: (dtm.query(saga)["transaction"] or {}).get("status") == "succeed", 30)
    assert busi.stock(product) == 1  # the unit came back once
    headers, payload = from_dtm(dtm, saga, "02")
    for endpoint, branch_id, op in (
        ("restock", "r1", "action"),
        ("restock", "r2", "action"),
        ("restock", "r3", "action"),
        ("restockCompensate", "02", "action"),
        ("cancelOrder", "02", "action"),
    ):
        response = call(busi, endpoint, saga, branch_id, op, headers, payload)
        assert response.status_code == 401, (endpoint, branch_id, op, response.text)
    assert busi.stock(product) == 1


def test_the_expiry_saga_s_token_creates_no_order(busi, dtm, new_product):
    """The issue's probe: createOrder for 1,000 units with the token of another transaction."""
    product = new_product(2)
    busi.post("reset", stock=2, product_id=product, pay_within_s=1).raise_for_status()
    order = busi.purchase(91, product).json()["gid"]
    saga = expiry.saga_gid(order)
    assert wait_until(lambda: (dtm.query(saga)["transaction"] or {}).get("status") == "succeed", 30)
    headers, payload = from_dtm(dtm, saga, "01")
    forged = {**payload, "user_id": 91, "product_id": product, "amount": 1000}
    for body in (payload, forged):
        response = call(busi, "createOrder", saga, "01", "action", headers, body, trans=MSG)
        assert response.status_code == 401, response.text
    assert busi.order_count(product) == 1 and busi.stock(product) == 2  # the one order, cancelled
