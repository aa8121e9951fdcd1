"""A limit per buyer: enforced in the deduction's own atomic step on every strategy but naive,
refused with its own code, closed to anonymous buyers, given back by an expired order, and
neither lost nor granted twice by a crash at any crash point."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from busi.domain.crash_points import POINTS
from busi.domain.strategies import STRATEGIES
from busi.scenarios import dtm_records
from saga.dtm_client import FINAL
from tests.conftest import wait_until
from tests.e2e.conftest import order_status, worker_crashes
from tests.e2e.test_expiry import EXPIRY_DEADLINE_S

LIMITED = [name for name in STRATEGIES if name != "naive"]
SETTLE_DEADLINE_S = 30


def limited_product(busi, new_product, stock, limit, strategy=None, **reset):
    product = new_product(stock, strategy)
    busi.reset(stock, product, strategy, limit_per_buyer=limit, **reset)
    return product


def units_of(busi, product, user, strategy=None):
    """The units the user holds of the product: its orders not cancelled (the latest 10)."""
    latest = busi.get("orders", product_id=product, strategy=strategy).json()["latest"]
    return sum(o["amount"] for o in latest if o["user_id"] == user and o["status"] != "cancelled")


@pytest.mark.parametrize("strategy", LIMITED)
def test_50_purchases_at_once_by_one_buyer_under_a_limit_of_2_get_exactly_2(busi, new_product, strategy):
    product = limited_product(busi, new_product, 100, 2, strategy)
    session = busi.pooled_session(50)
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: busi.purchase(7, product, session, strategy), range(50)))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200] * 2 + [409] * 48
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"over_limit"}
    assert wait_until(lambda: busi.order_count(product, strategy) == 2, SETTLE_DEADLINE_S)
    assert busi.stock(product, strategy) == 98 and units_of(busi, product, 7, strategy) == 2
    assert busi.purchase(8, product, strategy=strategy, quantity=2).status_code == 200  # another buyer's own 2


@pytest.mark.parametrize("strategy", LIMITED)
def test_over_the_limit_is_its_own_409_apart_from_sold_out(busi, new_product, strategy):
    product = limited_product(busi, new_product, 3, 2, strategy)
    over = busi.purchase(9, product, strategy=strategy, quantity=3)
    assert over.status_code == 409 and over.json()["code"] == "over_limit", over.text
    assert "limit per buyer" in over.json()["error"]
    assert busi.purchase(9, product, strategy=strategy, quantity=2).status_code == 200
    sold_out = busi.purchase(10, product, strategy=strategy, quantity=2)
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "sold_out", sold_out.text
    assert busi.stock(product, strategy) == 1


@pytest.mark.parametrize("strategy", ["dtm", "rowlock"])
def test_an_anonymous_purchase_of_a_limited_product_is_a_400_that_says_why(busi, stranger, new_product, strategy):
    product = limited_product(busi, new_product, 5, 2, strategy)
    refused = stranger.post("flashSales", product_id=product, strategy=strategy)
    assert refused.status_code == 400 and "limit per buyer" in refused.json()["error"], refused.text
    assert busi.stock(product, strategy) == 5 and busi.order_count(product, strategy) == 0
    unlimited = new_product(5, strategy)
    assert stranger.post("flashSales", product_id=unlimited, strategy=strategy).status_code == 200


def test_an_expired_order_gives_the_buyer_their_allowance_back(busi, new_product):
    product = limited_product(busi, new_product, 10, 2, pay_within_s=2)
    gid = busi.purchase(11, product, quantity=2).json()["gid"]
    assert busi.purchase(11, product).json()["code"] == "over_limit"
    assert wait_until(lambda: order_status(busi, product, gid) == "cancelled", EXPIRY_DEADLINE_S)
    assert wait_until(lambda: busi.stock(product) == 10, 5)
    again = busi.purchase(11, product, quantity=2)
    assert again.status_code == 200, again.text
    assert busi.purchase(11, product).json()["code"] == "over_limit"


@pytest.mark.parametrize("point", list(POINTS))
def test_a_crash_at_any_point_neither_loses_nor_doubles_the_allowance(busi, config, dtm, new_product, point):
    product = limited_product(busi, new_product, 10, 2)
    crashes = worker_crashes(config)
    try:
        busi.post("flashSales-crash", user_id=12, product_id=product, at=point)
    except requests.ConnectionError:
        pass  # its process died: no answer
    assert wait_until(lambda: worker_crashes(config) > crashes, 5)

    def settled():
        transactions = dtm_records.dtm_transactions(dtm, product)
        return transactions and all(t["status"] in FINAL for t in transactions.values())

    assert wait_until(settled, SETTLE_DEADLINE_S)
    session = busi.pooled_session(5)
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(lambda _: busi.purchase(12, product, session), range(5)))
    assert wait_until(lambda: units_of(busi, product, 12) == 2, SETTLE_DEADLINE_S)
    assert busi.stock(product) == 8  # the crashed one's unit in an order, or never taken


def test_the_limit_is_set_shown_changed_and_removed(busi):
    made = busi.post("products", name="limited", price="1.00", stock=5, limit_per_buyer=1)
    assert made.status_code == 201 and made.json()["limit_per_buyer"] == 1, made.text
    product = made.json()["id"]
    assert busi.purchase(13, product).status_code == 200
    assert busi.purchase(13, product).json()["code"] == "over_limit"
    raised = busi.put(f"products/{product}/inventory", limit_per_buyer=2)
    assert raised.status_code == 200 and raised.json()["limit_per_buyer"] == 2 and raised.json()["stock"] == 4
    assert busi.purchase(13, product).status_code == 200
    removed = busi.put(f"products/{product}/inventory", limit_per_buyer="none")
    assert removed.json()["limit_per_buyer"] is None
    assert busi.purchase(13, product, quantity=3).status_code == 200
    assert busi.get(f"products/{product}").json()["stock"] == 0


@pytest.mark.parametrize("limit", ["-1", "0", "many", "", "1.5", str(2**31)])
def test_a_bad_limit_is_a_400_and_changes_nothing(busi, new_product, limit):
    made = busi.post("products", name="limited", price="1.00", stock=5, limit_per_buyer=2).json()
    for method, path, params in (
        ("post", "products", {"name": "x", "price": "1.00", "stock": 5}),
        ("put", f"products/{made['id']}/inventory", {"stock": 9}),
        ("post", "reset", {"stock": 9, "product_id": made["id"]}),
    ):
        response = getattr(busi, method)(path, **params, limit_per_buyer=limit)
        assert response.status_code == 400 and "limit_per_buyer" in response.json()["error"], (path, response.text)
    after = busi.get(f"products/{made['id']}").json()
    assert (after["stock"], after["limit_per_buyer"]) == (5, 2)
