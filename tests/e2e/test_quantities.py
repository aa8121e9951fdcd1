"""Quantities: a purchase of several units takes them all in one atomic step or none, on every
strategy; its order holds them, its payment charges for them, its expiry gives them all back,
and a crash after its deduction still ends in one order of all its units."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import text

from busi.domain.strategies import QUANTITY_MAX, STRATEGIES
from tests.conftest import wait_until
from tests.e2e.conftest import PRICE, order_status, wallet, worker_crashes
from tests.e2e.test_expiry import EXPIRY_DEADLINE_S

CORRECT = [name for name in STRATEGIES if name != "naive"]
ORDERS_DEADLINE_S = 30


def units_ordered(busi, product, strategy=None):
    return busi.get("orders", product_id=product, strategy=strategy).json()["units"]


@pytest.mark.parametrize("strategy", CORRECT)
def test_seed_001_an_order_of_12_leaves_88_and_12_of_5_left_is_refused(busi, new_product, strategy):
    product = new_product(100, strategy)
    bought = busi.purchase(1, product, strategy=strategy, quantity=12)
    assert bought.status_code == 200 and bought.json()["quantity"] == 12, bought.text
    assert busi.stock(product, strategy) == 88
    assert wait_until(lambda: units_ordered(busi, product, strategy) == 12, ORDERS_DEADLINE_S)
    [order] = busi.get("orders", product_id=product, strategy=strategy).json()["latest"]
    assert (order["user_id"], order["amount"]) == (1, 12)

    assert busi.purchase(2, product, strategy=strategy, quantity=83).status_code == 200  # 5 left
    refused = busi.purchase(3, product, strategy=strategy, quantity=12)
    assert refused.status_code == 409 and refused.json()["code"] == "sold_out", refused.text
    assert "fewer than 12" in refused.json()["error"]
    assert wait_until(lambda: units_ordered(busi, product, strategy) == 95, ORDERS_DEADLINE_S)
    assert busi.stock(product, strategy) == 5 and busi.order_count(product, strategy) == 2


def test_seed_001_the_reservation_moves_12_from_available_to_reserved(busi, mysql, new_product):
    product = new_product(100, "reserve")
    assert busi.purchase(1, product, strategy="reserve", quantity=12).status_code == 200
    with mysql.connect() as conn:
        row = conn.execute(
            text("SELECT stored, reserved, available FROM reserve_stock WHERE product_id = :p"), {"p": product}
        ).one()
    assert tuple(row) == (100, 12, 88)


@pytest.mark.parametrize("strategy", CORRECT)
def test_orders_of_3_at_once_for_10_units_sell_9_and_never_part_of_one(busi, new_product, strategy):
    product = new_product(10, strategy)
    session = busi.pooled_session(10)
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda user: busi.purchase(user, product, session, strategy, quantity=3), range(1, 11)))
    assert sorted(answer.status_code for answer in answers) == [200] * 3 + [409] * 7
    assert wait_until(lambda: units_ordered(busi, product, strategy) == 9, ORDERS_DEADLINE_S)
    assert busi.stock(product, strategy) == 1 and busi.order_count(product, strategy) == 3


@pytest.mark.parametrize("quantity", ["0", "-1", str(10**9), "many", "", "1.5", str(QUANTITY_MAX + 1)])
@pytest.mark.parametrize("strategy", ["dtm", "rowlock"])
def test_a_bad_quantity_is_a_400_and_changes_nothing(busi, new_product, strategy, quantity):
    product = new_product(5, strategy)
    response = busi.post("flashSales", user_id=1, product_id=product, strategy=strategy, quantity=quantity)
    assert response.status_code == 400 and "quantity" in response.json()["error"], response.text
    assert busi.stock(product, strategy) == 5 and busi.order_count(product, strategy) == 0


def test_a_crash_after_the_deduction_ends_in_one_order_of_every_unit(busi, config, new_product):
    product = new_product(10)
    crashes = worker_crashes(config)
    busi.crash_purchase(user_id=5, product_id=product, quantity=4)
    assert wait_until(lambda: worker_crashes(config) > crashes, 5)
    assert wait_until(lambda: units_ordered(busi, product) == 4, ORDERS_DEADLINE_S)  # DTM's back-query
    assert busi.stock(product) == 6 and busi.order_count(product) == 1


def test_payment_charges_the_price_of_every_unit(busi, new_product):
    product = new_product(5)
    busi.post("reset", stock=5, product_id=product, price=str(PRICE), balance="100.00").raise_for_status()
    gid = busi.purchase(81, product, quantity=3).json()["gid"]
    assert wait_until(lambda: order_status(busi, product, gid), ORDERS_DEADLINE_S) == "created"
    paid = busi.post("pay", gid=gid)
    assert paid.status_code == 200 and Decimal(paid.json()["charged"]) == 3 * PRICE, paid.text
    assert wallet(busi, 81) == Decimal("100.00") - 3 * PRICE


def test_an_expired_order_gives_every_unit_back(busi, new_product):
    product = new_product(5)
    busi.post("reset", stock=5, product_id=product, pay_within_s=2).raise_for_status()
    gid = busi.purchase(82, product, quantity=4).json()["gid"]
    assert busi.stock(product) == 1
    assert wait_until(lambda: order_status(busi, product, gid) == "cancelled", EXPIRY_DEADLINE_S)
    assert wait_until(lambda: busi.stock(product) == 5, 5)
    assert busi.get(f"products/{product}").json()["units_ordered"] == {"cancelled": 4}
