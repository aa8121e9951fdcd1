"""Products as a resource (name and price in MySQL, stock in Redis), wallets, and what bad
input to them gets: a 400 or 404 with a JSON error, and nothing changed."""

import pytest

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


def test_the_inventory_is_set_unless_orders_await_payment(busi):
    product = create(busi).json()
    put = busi.session.put(f"{busi.url}/products/{product['id']}/inventory", params={"stock": 7})
    assert put.status_code == 200 and put.json()["stock"] == 7
    gid = busi.purchase(5, product["id"]).json()["gid"]
    assert wait_until(lambda: busi.get(f"products/{product['id']}").json()["orders"].get("created"), 10)
    refused = busi.session.put(f"{busi.url}/products/{product['id']}/inventory", params={"stock": 100})
    assert refused.status_code == 409 and "await payment" in refused.json()["error"]
    assert busi.stock(product["id"]) == 6
    assert busi.post("pay", gid=gid).status_code == 200  # paid: nothing awaits payment any more
    put = busi.session.put(f"{busi.url}/products/{product['id']}/inventory", params={"stock": 100})
    assert put.status_code == 200 and put.json()["stock"] == 100


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


def test_wallet_input(busi):
    assert busi.get("wallet", user_id="abc").status_code == 400
    assert busi.post("wallet", user_id=9, balance="1.234").status_code == 400
    assert busi.post("wallet", user_id=9, balance="7.50").json() == {"user_id": 9, "balance": "7.50"}
    assert busi.get("wallet", user_id=9).json()["balance"] == "7.50"
