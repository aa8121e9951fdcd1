"""Payment, a DTM saga on the real server: paid, declined with the wallet untouched, paid
once only, a crash between its branches, and a compensation that comes before its action."""

import uuid
from decimal import Decimal

import pytest

from tests.conftest import wait_until
from tests.e2e.conftest import PRICE, order_status, product_of, wallet


def test_pay_charges_the_price_and_marks_the_order_paid(busi, order_of):
    gid = order_of(user_id=61)
    response = busi.post("pay", gid=gid)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "paid" and Decimal(response.json()["charged"]) == PRICE
    assert wallet(busi, 61) == Decimal("100.00") - PRICE
    assert order_status(busi, product_of(gid), gid) == "paid"


def test_paying_twice_charges_once(busi, order_of):
    gid = order_of(user_id=62)
    assert busi.post("pay", gid=gid).status_code == 200
    second = busi.post("pay", gid=gid)
    assert second.status_code == 409 and "already paid" in second.json()["error"]
    assert wallet(busi, 62) == Decimal("100.00") - PRICE  # the second charge was compensated


def test_a_short_balance_is_declined_and_the_wallet_untouched(busi, order_of):
    gid = order_of(user_id=63, balance="5.00")
    response = busi.post("pay", gid=gid)
    assert response.status_code == 409 and "insufficient balance" in response.json()["error"]
    assert wallet(busi, 63) == Decimal("5.00")
    assert order_status(busi, product_of(gid), gid) == "created"


def test_a_crash_after_the_charge_still_ends_paid_and_charged_once(busi, config, order_of):
    gid = order_of(user_id=64)
    crashed = busi.post("pay-crash", gid=gid)  # the charge's worker died: DTM retries the saga itself
    assert crashed.status_code == 500, crashed.text
    assert wait_until(lambda: order_status(busi, product_of(gid), gid) == "paid", 30)
    assert wallet(busi, 64) == Decimal("100.00") - PRICE


def test_a_compensation_before_its_action_makes_the_late_action_a_no_op(busi, config, signed, sealed, order_of):
    gid = order_of(user_id=65)
    saga = f"{{p{product_of(gid)}}}-pay-{uuid.uuid4().hex}"
    query = {"gid": saga, "trans_type": "saga", "branch_id": "01"}
    body = sealed(saga, "01", {"user_id": 65, "order_gid": gid, "price": str(PRICE)}, "charge", "chargeCompensate")
    for op, path in (("compensate", "chargeCompensate"), ("action", "charge")):  # out of order
        response = busi.session.post(f"{busi.url}/{path}", params={**query, "op": op}, json=body, headers=signed(saga))
        assert response.status_code == 200, response.text
    assert wallet(busi, 65) == Decimal("100.00")  # no refund of nothing, and no charge after it


def test_unknown_and_malformed_orders(busi):
    assert busi.post("pay", gid="{p1}-nosuchorder").status_code == 404
    assert busi.post("pay", order_id=2**62).status_code == 404
    response = busi.post("pay", order_id="x")
    assert response.status_code == 400 and "order_id" in response.json()["error"]


@pytest.mark.parametrize(
    "branch",
    [
        "charge",
        "chargeCompensate",
        "markPaid",
        "markPaidCompensate",
        "cancelOrder",
        "cancelOrderCompensate",
        "restock",
        "restockCompensate",
    ],
)
def test_every_saga_branch_wants_its_token(busi, branch):
    query = {"gid": "{p1}-forged", "trans_type": "saga", "branch_id": "01", "op": "action"}
    response = busi.session.post(f"{busi.url}/{branch}", params=query, json={"user_id": 1, "price": "1.00"})
    assert response.status_code == 401 and "Dtm-Branch-Token" in response.json()["error"]
