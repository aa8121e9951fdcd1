"""The purchase strategies side by side (busi/domain/strategies): seed 001's acceptance for every
strategy that claims to be correct, what a crash after the first write does to each, and
the comparison command."""

from collections import Counter

import pytest

from busi.domain.strategies import STRATEGIES
from busi.scenarios import compare
from crash_sim.__main__ import main
from tests.conftest import wait_until
from tests.e2e.conftest import worker_crashes

CORRECT = [name for name in STRATEGIES if name != "naive"]
ORDERS_DEADLINE_S = 30


@pytest.mark.parametrize("strategy", CORRECT)
def test_seed_001_100_units_and_the_101st_buyer_is_refused(busi, new_product, strategy):
    product = new_product(100, strategy)
    answers = Counter(r.status_code for r in busi.purchase_many(list(range(1, 102)), product, strategy))
    assert answers == {200: 100, 409: 1}
    assert wait_until(lambda: busi.order_count(product, strategy) == 100, ORDERS_DEADLINE_S)
    assert busi.stock(product, strategy) == 0


def test_naive_oversells(config):
    """A race, so up to three sales: the plain SELECT lets buyers past the check together."""
    comparison = compare.Comparison(config, stock=30, buyers=300, concurrency=48)
    for _ in range(3):
        sale = comparison.run("naive")
        if sale.oversold:
            break
    assert sale.oversold > 0 and sale.stock_left < 0
    assert sale.units_ordered == 30 - sale.stock_left  # every unit it took has its order: the flaw is the oversell


@pytest.mark.parametrize(
    "strategy, stock_after, orders_after",
    [("naive", 3, 0), ("rowlock", 3, 0), ("reserve", 3, 0), ("procedure", 2, 1), ("twostores", 2, 0)],
)
def test_a_crash_after_the_first_write(busi, config, new_product, strategy, stock_after, orders_after):
    """One MySQL transaction rolls back with its process; the procedure's has committed inside
    the server before its process can die: the unit and its order. Two stores without a
    transaction manager keep the deduction and never get the order: a lost unit."""
    product = new_product(3, strategy)
    crashes = worker_crashes(config)
    assert busi.crash_purchase(user_id=5, product_id=product, strategy=strategy) is None
    assert wait_until(lambda: worker_crashes(config) > crashes, 5)
    assert busi.stock(product, strategy) == stock_after
    assert busi.order_count(product, strategy) == orders_after


def test_each_strategy_keeps_its_own_stock(busi, new_product):
    product = new_product(5, "rowlock")
    busi.reset(7, product, "twostores")
    assert busi.purchase(1, product, strategy="rowlock").status_code == 200
    assert (busi.stock(product, "rowlock"), busi.stock(product, "twostores")) == (4, 7)
    assert busi.get("stock", product_id=product, strategy="reserve").status_code == 400  # never reset there


@pytest.mark.parametrize(
    "method, path, params",
    [
        ("post", "flashSales", {"strategy": "bogus"}),
        ("get", "stock", {"strategy": "bogus"}),
        ("get", "orders", {"strategy": "ROWLOCK"}),
        ("post", "reset", {"strategy": "bogus", "stock": 1}),
        ("post", "flashSales-crash", {"strategy": "rowlock", "at": "after_submit"}),
    ],
)
def test_bad_strategy_input_is_a_400_and_changes_nothing(busi, new_product, method, path, params):
    product = new_product(2, "rowlock")
    response = getattr(busi.session, method)(f"{busi.url}/{path}", params={"product_id": product, **params})
    assert response.status_code == 400 and "strategy" in response.json()["error"]
    assert busi.stock(product, "rowlock") == 2 and busi.order_count(product, "rowlock") == 0


def test_the_compare_command_shows_each_strategy_as_expected(capsys):
    assert (
        main(
            [
                "compare",
                "--stock",
                "20",
                "--buyers",
                "120",
                "--concurrency",
                "24",
                "--only",
                "rowlock",
                "reserve",
                "procedure",
                "twostores",
                "dtm",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    table = {line.split()[0]: line.split() for line in out.out.splitlines()[1:]}
    assert set(table) == {"rowlock", "reserve", "procedure", "twostores", "dtm"}
    # lost, with crashes: the units of its purchases that died (compare exits 1 unless it is exactly those)
    assert table["twostores"][-1] != "0"
    assert all(table[s][-1] == "0" and table[s][-2] == "0" for s in ("rowlock", "reserve", "procedure", "dtm"))
