"""The caller's table (docs/api.md): for each answer of flashSales and pay, what it guarantees
and what the caller should do next, checked a line at a time. A purchase sent again with the
same Idempotency-Key never buys twice, whatever befell the first try."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests

from busi.adapters import orders
from busi.scenarios.client import TIMEOUT_S
from crash_sim import stack
from tests.conftest import wait_until
from tests.e2e.conftest import ORDER_DEADLINE_S, PRICE, order_status, product_of, wallet

KEY = "Idempotency-Key"


def keyed(busi, user_id, product, key, path="flashSales", timeout=TIMEOUT_S, **params):
    """A purchase named by `key`, as the operator for user_id."""
    return busi.session.post(
        f"{busi.url}/{path}",
        params={"user_id": user_id, "product_id": product, **params},
        headers={KEY: key},
        timeout=timeout,
    )


def orders_of(busi, product):
    return busi.order_count(product)


# flashSales | 200 | bought: one unit is yours; its order appears | pay it
def test_200_bought_and_its_order_appears(busi, new_product):
    product = new_product(2)
    answer = keyed(busi, 101, product, uuid.uuid4().hex)
    assert answer.status_code == 200, answer.text
    assert wait_until(lambda: order_status(busi, product, answer.json()["gid"]), ORDER_DEADLINE_S) == orders.CREATED
    assert busi.stock(product) == 1


# flashSales | 409 | not bought, and never will be; nothing changed | a retry answers 409 again
def test_409_sold_out_changes_nothing_and_says_so_again(busi, new_product):
    product, key = new_product(0), uuid.uuid4().hex
    assert [keyed(busi, 102, product, key).status_code for _ in range(2)] == [409, 409]
    assert busi.stock(product) == 0 and orders_of(busi, product) == 0


# flashSales | 400, 401, 403 | the request was wrong; nothing changed | fix the request
@pytest.mark.parametrize(
    "key, params, status",
    [
        ("", {}, 400),  # an empty key
        ("x" * 65, {}, 400),  # too long
        ("a key", {}, 400),  # a space
        ("k1", {"strategy": "rowlock"}, 400),  # a strategy that cannot tell a try sent again
    ],
)
def test_4xx_a_bad_key_changes_nothing(busi, new_product, key, params, status):
    product = new_product(1)
    answer = keyed(busi, 103, product, key, **params)
    assert answer.status_code == status and "error" in answer.json(), answer.text
    assert busi.stock(product) == 1 and orders_of(busi, product) == 0


def test_4xx_a_key_without_a_known_buyer_changes_nothing(busi, config, new_product):
    product = new_product(1)
    anonymous = requests.post(f"{config.busi_url}/flashSales", params={"product_id": product}, headers={KEY: "k"})
    assert anonymous.status_code == 400 and KEY in anonymous.json()["error"]
    stranger = requests.post(
        f"{config.busi_url}/flashSales", params={"product_id": product, "user_id": 104}, headers={KEY: "k"}
    )
    assert stranger.status_code == 401
    assert busi.stock(product) == 1 and orders_of(busi, product) == 0


# flashSales | 5xx | unknown | send it again with the same key
def test_5xx_then_the_same_key_buys_once(busi, config, new_product):
    product, key = new_product(3), uuid.uuid4().hex
    stack.stop("dtm")
    try:
        failed = keyed(busi, 105, product, key)
        assert failed.status_code >= 500, failed.text  # prepare could not reach DTM
    finally:
        stack.start("dtm")
        stack.wait_healthy(config.busi_url)
    retried = [keyed(busi, 105, product, key) for _ in range(2)]
    assert [r.status_code for r in retried] == [200, 200], [r.text for r in retried]
    assert retried[0].json()["gid"] == retried[1].json()["gid"]
    assert wait_until(lambda: orders_of(busi, product) == 1, ORDER_DEADLINE_S) and busi.stock(product) == 2


# flashSales | a timeout | unknown, as a 5xx | send it again with the same key
def test_a_timeout_then_the_same_key_buys_once(busi, new_product):
    product, key = new_product(3), uuid.uuid4().hex
    with pytest.raises(requests.Timeout):
        keyed(busi, 106, product, key, timeout=(TIMEOUT_S, 0.001))  # sent; the answer not awaited
    # Sent again at once, it may overlap the first, still running: its twin. DTM's SQL store (the
    # HA stack) can answer such a pair's prepare with a 500; the table says: again, same key.
    again = keyed(busi, 106, product, key)
    for _ in range(5):
        if again.status_code < 500:
            break
        again = keyed(busi, 106, product, key)
    assert again.status_code == 200, again.text
    assert wait_until(lambda: orders_of(busi, product) == 1, ORDER_DEADLINE_S)
    assert busi.stock(product) == 2 and order_status(busi, product, again.json()["gid"]) == orders.CREATED


# flashSales | a dropped connection | unknown, as a 5xx | send it again with the same key
@pytest.mark.parametrize("at, bought_before", [("after_prepare", False), ("after_deduct", True)])
def test_a_dropped_connection_then_the_same_key_buys_once(busi, new_product, at, bought_before):
    product, key = new_product(3), uuid.uuid4().hex
    with pytest.raises(requests.ConnectionError):  # the process died: no answer at all
        keyed(busi, 107, product, key, path="flashSales-crash", at=at)
    assert busi.stock(product) == (2 if bought_before else 3)
    again = keyed(busi, 107, product, key)
    assert again.status_code == 200, again.text
    assert wait_until(lambda: orders_of(busi, product) == 1, ORDER_DEADLINE_S) and busi.stock(product) == 2


def test_tries_at_once_with_one_key_take_one_unit(busi, new_product):
    product, key = new_product(1), uuid.uuid4().hex
    start = threading.Barrier(6)
    session = busi.pooled_session(6)

    def buy(_):
        start.wait()
        for _ in range(5):  # a 5xx (DTM's SQL store on the HA stack, for a twin's prepare): again, same key
            answer = session.post(
                f"{busi.url}/flashSales", params={"user_id": 108, "product_id": product}, headers={KEY: key}, timeout=30
            )
            if answer.status_code < 500:
                break
        return answer

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(buy, range(6)))
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert len({a.json()["gid"] for a in answers}) == 1
    assert wait_until(lambda: orders_of(busi, product) == 1, ORDER_DEADLINE_S) and busi.stock(product) == 0


def test_the_same_key_for_another_buyer_is_another_purchase(busi, new_product):
    product, key = new_product(2), uuid.uuid4().hex
    first, second = keyed(busi, 109, product, key), keyed(busi, 110, product, key)
    assert first.status_code == second.status_code == 200 and first.json()["gid"] != second.json()["gid"]
    assert wait_until(lambda: orders_of(busi, product) == 2, ORDER_DEADLINE_S)


# pay | 200 | paid, charged once | nothing
def test_pay_200_paid_and_charged_once(busi, order_of):
    gid = order_of(user_id=111)
    assert busi.post("pay", gid=gid).status_code == 200
    assert order_status(busi, product_of(gid), gid) == orders.PAID and wallet(busi, 111) == Decimal("100.00") - PRICE


# pay | 409 | not charged by this call | read the order: created may be paid again
def test_pay_409_charges_nothing_and_the_order_stays_payable(busi, order_of):
    gid = order_of(user_id=112, balance="1.00")
    assert busi.post("pay", gid=gid).status_code == 409
    assert wallet(busi, 112) == Decimal("1.00") and order_status(busi, product_of(gid), gid) == orders.CREATED
    busi.post("wallet", user_id=112, balance="100.00").raise_for_status()
    assert busi.post("pay", gid=gid).status_code == 200


# pay | 400, 401, 404 | the request was wrong, or the order is not yours; nothing changed
def test_pay_4xx_changes_nothing(busi, config, order_of):
    gid = order_of(user_id=113)
    assert busi.post("pay", order_id="x").status_code == 400
    assert requests.post(f"{config.busi_url}/pay", params={"gid": gid}, timeout=TIMEOUT_S).status_code == 401
    assert busi.post("pay", gid=gid + "x").status_code == 404
    assert wallet(busi, 113) == Decimal("100.00") and order_status(busi, product_of(gid), gid) == orders.CREATED


# pay | 202 | DTM finishes it | read the order; paying again is safe
def test_pay_under_way_then_paying_again_never_charges_twice(busi, order_of):
    gid = order_of(user_id=114)
    crashed = busi.post("pay-crash", gid=gid)  # the charge's process died after its commit
    assert crashed.status_code == 202, crashed.text
    again = busi.post("pay", gid=gid)
    assert again.status_code in (200, 409), again.text  # 409: being paid, or already paid
    assert wait_until(lambda: order_status(busi, product_of(gid), gid) == orders.PAID, 30)
    assert wallet(busi, 114) == Decimal("100.00") - PRICE
