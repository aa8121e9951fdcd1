"""Payment, a DTM saga on the real server: paid, declined with the wallet untouched, paid
once only (one after the other, and ten at once), one buyer's payments at once, a crash
between its branches, and a compensation that comes before its action."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from busi.adapters import orders
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
    assert wallet(busi, 62) == Decimal("100.00") - PRICE  # declined at the claim, before any charge


def test_ten_pays_at_once_charge_once_and_the_wallet_never_shows_two(busi, order_of):
    """A double click, or ten tabs: one claims the order, the nine others are declined before
    they charge, so no moment shows a second charge. The wallet could pay twice (25.00)."""
    gid = order_of(user_id=66, balance="25.00")
    lowest, paying = [Decimal("25.00")], threading.Event()

    def watch():  # the wallet, as often as it can be read, while the payments run
        while not paying.is_set():
            lowest[0] = min(lowest[0], wallet(busi, 66))

    session = busi.pooled_session(10)
    start = threading.Barrier(10)

    def pay(_):
        start.wait()
        return busi.post("pay", session=session, gid=gid)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(pay, range(10)))
    finally:
        paying.set()
        watcher.join()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * 9, [answer.text for answer in answers]
    reasons = {answer.json()["error"].split(" is ", 1)[1] for answer in answers if answer.status_code == 409}
    assert reasons <= {"already paid", "being paid by another payment"}, reasons
    assert lowest[0] == Decimal("25.00") - PRICE and wallet(busi, 66) == Decimal("25.00") - PRICE
    assert order_status(busi, product_of(gid), gid) == "paid"


def test_one_buyer_s_payments_at_once_all_go_through(busi, order_of):
    """Charges of one wallet at once used to deadlock in MariaDB (error 1213), which DTM saw
    as a branch error and retried 5 s later: every payer's answer timed out into a 500."""
    gids = [order_of(user_id=67) for _ in range(4)]
    session = busi.pooled_session(4)
    start = threading.Barrier(4)

    def pay(gid):
        start.wait()
        return busi.post("pay", session=session, gid=gid)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(pay, gids))
    assert [answer.status_code for answer in answers] == [200] * 4, [answer.text for answer in answers]
    assert wallet(busi, 67) == Decimal("100.00") - 4 * PRICE


def test_a_short_balance_is_declined_and_the_wallet_untouched(busi, order_of):
    gid = order_of(user_id=63, balance="5.00")
    response = busi.post("pay", gid=gid)
    assert response.status_code == 409 and "insufficient balance" in response.json()["error"]
    assert wallet(busi, 63) == Decimal("5.00")
    assert order_status(busi, product_of(gid), gid) == "created"  # the claim given back: it may be paid later
    assert busi.post("pay", gid=gid).status_code == 409  # still short, and still payable by a richer wallet


def test_a_crash_after_the_charge_still_ends_paid_and_charged_once(busi, config, order_of):
    gid = order_of(user_id=64)
    crashed = busi.post("pay-crash", gid=gid)  # the charge's worker died: DTM retries the saga itself
    assert crashed.status_code == 202 and crashed.json()["status"] == orders.PAYING, crashed.text
    assert wait_until(lambda: order_status(busi, product_of(gid), gid) == "paid", 30)
    assert wallet(busi, 64) == Decimal("100.00") - PRICE


def test_a_compensation_before_its_action_makes_the_late_action_a_no(busi, config, signed, sealed, order_of):
    gid = order_of(user_id=65)
    saga = f"{{p{product_of(gid)}}}-pay-{uuid.uuid4().hex}"
    query = {"gid": saga, "trans_type": "saga", "branch_id": "01"}
    body = sealed(saga, "01", {"user_id": 65, "order_gid": gid, "price": str(PRICE)}, "charge", "chargeCompensate")
    # Out of order: the compensation does nothing; the late action says no (it must not let a
    # saga go on to its next step: saga/barrier.py), and charges nothing.
    for op, path, status in (("compensate", "chargeCompensate", 200), ("action", "charge", 409)):
        response = busi.session.post(f"{busi.url}/{path}", params={**query, "op": op}, json=body, headers=signed(saga))
        assert response.status_code == status, response.text
    assert "comes too late" in response.json()["error"]
    assert wallet(busi, 65) == Decimal("100.00")  # no refund of nothing, and no charge after it


def test_unknown_and_malformed_orders(busi):
    assert busi.post("pay", gid="{p1}-nosuchorder").status_code == 404
    assert busi.post("pay", order_id=2**62).status_code == 404
    response = busi.post("pay", order_id="x")
    assert response.status_code == 400 and "order_id" in response.json()["error"]


@pytest.mark.parametrize(
    "branch",
    [
        "claimOrder",
        "claimOrderCompensate",
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
