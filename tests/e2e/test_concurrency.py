"""Many buyers at once: never one order more than the stock, never below zero."""

from collections import Counter

from tests.conftest import wait_until

ORDERS_DEADLINE_S = 30


def buy(busi, product, buyers):
    answers = busi.purchase_many(list(range(1, buyers + 1)), product)
    return Counter(r.status_code for r in answers)


def test_101_buyers_for_100_units(busi, new_product):
    product = new_product(100)
    assert buy(busi, product, 101) == {200: 100, 409: 1}
    assert wait_until(lambda: busi.order_count(product) == 100, ORDERS_DEADLINE_S)
    assert busi.stock(product) == 0


def test_300_buyers_for_50_units(busi, new_product):
    product = new_product(50)
    assert buy(busi, product, 300) == {200: 50, 409: 250}
    assert wait_until(lambda: busi.order_count(product) == 50, ORDERS_DEADLINE_S)
    assert busi.stock(product) == 0
    assert busi.order_count(product) == 50
