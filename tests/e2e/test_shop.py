"""Products as a resource (name and price in MySQL, stock in Redis), wallets, and what bad
input to them gets: a 400 or 404 with a JSON error, and nothing changed."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from busi.domain.strategies import STRATEGIES
from tests.conftest import wait_until


def create(busi, **fields):
    return busi.session.post(f"{busi.url}/products", params={"name": "lamp", "price": "19.90", "stock": 3, **fields})


def test_a_product_is_created_listed_and_shown_with_its_stock_and_orders(busi):
    response = create(busi, pay_within_s=60)
    assert response.status_code == 201, response.text
    product = response.json()
    assert (product["name"], product["price"], product["stock"], product["pay_within_s"]) == ("lamp", "19.90", 3, 60)
    assert busi.purchase(5, product["id"]).status_code == 200
    shown = wait_until(lambda: busi.get(f"products/{product['id']}").json()["orders"] or None, 10)
    assert shown == {"created": 1}
    assert busi.get(f"products/{product['id']}").json()["stock"] == 2
    assert product["id"] in [p["id"] for p in busi.get("products").json()["products"]]


def product_of(busi, product_id):
    return busi.get(f"products/{product_id}").json()


def test_the_inventory_is_set_at_any_moment_and_the_ledger_moves_by_the_difference(busi):
    product = create(busi).json()
    assert product["units_added"] == 3
    put = busi.session.put(f"{busi.url}/products/{product['id']}/inventory", params={"stock": 7})
    assert put.status_code == 200 and (put.json()["stock"], put.json()["units_added"]) == (7, 7)
    busi.purchase(5, product["id"]).raise_for_status()
    assert wait_until(lambda: product_of(busi, product["id"])["orders"].get("created"), 10)
    # An order awaits payment, and may expire and give its unit back: on top of what is set now.
    put = busi.session.put(f"{busi.url}/products/{product['id']}/inventory", params={"stock": 100})
    assert put.status_code == 200, put.text
    assert (put.json()["stock"], put.json()["units_added"]) == (100, 101)  # 100 on sale + 1 in its order


def test_a_restock_during_a_sale_adds_exactly_its_units(busi, new_product):
    product = new_product(30)  # far from sold out when the restock lands: no buyer is told "sold out" early
    tasks = list(range(1, 51))
    tasks.insert(10, "restock")  # among the purchases: some are in flight as it adds
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(
            pool.map(
                lambda task: (
                    busi.post(f"products/{product}/restock", units=10)
                    if task == "restock"
                    else busi.purchase(task, product)
                ),
                tasks,
            )
        )
    restocked = answers.pop(10)
    assert restocked.status_code == 200, restocked.text
    assert [answer.status_code for answer in answers].count(200) == 40
    assert wait_until(lambda: busi.order_count(product) == 40, 10)
    shown = product_of(busi, product)
    assert (shown["stock"], shown["units_added"]) == (0, 40)


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_every_strategy_with_stock_restocks(busi, new_product, strategy):
    product = new_product(1, strategy)
    answer = busi.post(f"products/{product}/restock", units=2, strategy=strategy)
    assert answer.status_code == 200, answer.text
    assert answer.json()["stock"] == busi.stock(product, strategy) == 3
    assert busi.purchase(5, product, strategy=strategy).status_code == 200


@pytest.mark.parametrize(
    "params, status, complaint",
    [
        ({"units": 0}, 400, "units"),
        ({"units": -1}, 400, "units"),
        ({"units": "many"}, 400, "units"),
        ({"units": 2**31}, 400, "units"),
        ({}, 400, "units"),
        ({"units": 1, "strategy": "nope"}, 400, "strategy"),
        ({"units": 2**31 - 1, "strategy": "rowlock"}, 400, "past"),  # its INT column would overflow
    ],
)
def test_bad_restocks_are_refused_and_change_nothing(busi, new_product, params, status, complaint):
    product = new_product(1, params.get("strategy") if params.get("strategy") != "nope" else None)
    answer = busi.session.post(f"{busi.url}/products/{product}/restock", params=params)
    assert answer.status_code == status and complaint in answer.json()["error"], answer.text
    strategy = params.get("strategy") if params.get("strategy") != "nope" else None
    assert busi.stock(product, strategy) == 1


@pytest.mark.parametrize(
    "fields, complaint",
    [
        ({"price": "10.005"}, "price"),
        ({"price": "-1"}, "price"),
        ({"price": "1e3"}, "price"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"stock": -1}, "stock"),
        ({"stock": "many"}, "stock"),
    ],
)
def test_bad_product_input_is_a_400_and_creates_nothing(busi, fields, complaint):
    newest = busi.get("products").json()["products"][0]["id"]
    response = create(busi, **fields)
    assert response.status_code == 400 and complaint in response.json()["error"]
    assert busi.get("products").json()["products"][0]["id"] == newest


def test_unknown_products_are_404(busi):
    assert busi.get(f"products/{2**62}").status_code == 404
    response = busi.session.put(f"{busi.url}/products/{2**62}/inventory", params={"stock": 1})
    assert response.status_code == 404 and "no product" in response.json()["error"]
    response = busi.session.post(f"{busi.url}/products/{2**62}/restock", params={"units": 1})
    assert response.status_code == 404 and "no product" in response.json()["error"]
    response = busi.session.post(f"{busi.url}/products/{2**40}/restock", params={"units": 1, "strategy": "rowlock"})
    assert response.status_code == 400 and "unknown product_id" in response.json()["error"]


def test_wallet_input(busi):
    assert busi.get("wallet", user_id="abc").status_code == 400
    assert busi.post("wallet", user_id=9, balance="1.234").status_code == 400
    assert busi.post("wallet", user_id=9, balance="7.50").json() == {"user_id": 9, "balance": "7.50"}
    assert busi.get("wallet", user_id=9).json()["balance"] == "7.50"
