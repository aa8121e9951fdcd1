"""Issue 15's probes of the public endpoints, against the running service: a buyer acts only for
themself, and on a service with OPERATOR_OPEN=0 the operator's endpoints answer the operator only.
Every refusal is a 401 or 403 with a JSON error, and changes nothing."""

import os
import signal
import subprocess
import sys
from decimal import Decimal

import pytest
import requests

from busi.config import REPO_DIR
from busi.domain.credentials import Credentials
from busi.scenarios.client import BusiClient
from tests.conftest import wait_until
from tests.e2e.conftest import PRICE, order_status, product_of, wallet

CLOSED_PORT = 8087  # a second service, on loopback, with the operator's endpoints closed


@pytest.fixture
def keys(config):
    return Credentials.of(config)


def as_buyer(config, keys, user_id):
    return BusiClient(config.busi_url, lambda: keys.for_buyer(user_id))


def test_an_anonymous_purchase_answers_with_its_buyer_s_credential_which_pays_and_reads_its_order(
    config, busi, stranger, new_product
):
    product = new_product(3)
    busi.post("reset", stock=3, product_id=product, price=str(PRICE), balance="50.00").raise_for_status()
    bought = stranger.post("flashSales", product_id=product).json()
    user_id, gid, credential = bought["user_id"], bought["gid"], bought["credential"]
    assert wait_until(lambda: order_status(busi, product, gid), 10) == "created"
    buyer = BusiClient(config.busi_url, lambda: credential)
    order = buyer.get("order", gid=gid)
    assert order.status_code == 200 and order.json()["user_id"] == user_id and order.json()["status"] == "created"
    assert buyer.get("wallet").json() == {"user_id": user_id, "balance": "50.00"}  # user_id: the credential's
    paid = buyer.post("pay", gid=gid)
    assert paid.status_code == 200, paid.text
    assert buyer.get("wallet").json()["balance"] == str(Decimal("50.00") - PRICE)
    again = buyer.post("flashSales", product_id=product).json()  # no user_id: the credential's buyer
    assert again["user_id"] == user_id and "credential" not in again


@pytest.mark.parametrize("name", ["pay?gid=", "pay?order_id=", "order?gid="])
def test_no_one_but_its_buyer_pays_or_reads_an_order(config, busi, stranger, keys, order_of, name):
    gid = order_of(user_id=41, balance="100.00")
    order_id = busi.get("order", gid=gid).json()["id"]
    path, field = name.rstrip("=").split("?")
    ask = {"gid": gid} if field == "gid" else {"order_id": order_id}
    send = stranger.get if path == "order" else stranger.post
    nobody = send(path, **ask)
    assert nobody.status_code == 401 and "credential" in nobody.json()["error"]
    other = as_buyer(config, keys, 42)
    someone_else = (other.get if path == "order" else other.post)(path, **ask)
    # Another buyer's order is a 404, as a missing one: it tells neither that it exists nor whose it is.
    assert someone_else.status_code == 404 and "41" not in someone_else.text
    assert wallet(busi, 41) == Decimal("100.00") and order_status(busi, product_of(gid), gid) == "created"
    assert as_buyer(config, keys, 41).post("pay", gid=gid).status_code == 200  # the buyer themself may


def test_no_one_buys_as_another_buyer(config, busi, stranger, keys, new_product):
    product = new_product(3)
    assert stranger.post("flashSales", user_id=43, product_id=product).status_code == 401
    assert as_buyer(config, keys, 44).post("flashSales", user_id=43, product_id=product).status_code == 403
    assert stranger.post("flashSales-crash", user_id=43, product_id=product).status_code == 401
    assert busi.stock(product) == 3 and busi.order_count(product) == 0
    assert as_buyer(config, keys, 43).post("flashSales", user_id=43, product_id=product).status_code == 200


def test_sold_out_is_said_to_anyone_and_changes_nothing(busi, stranger, new_product):
    """The one answer before the credential check: GET stock says as much to anyone."""
    product = new_product(0)
    refused = stranger.post("flashSales", user_id=43, product_id=product)
    assert refused.status_code == 409 and refused.json()["error"] == f"product {product} is sold out"
    assert set(refused.json()) == {"dtm_result", "error", "code", "user_id"}  # no gid: no transaction began
    assert busi.stock(product) == 0 and busi.order_count(product) == 0


def test_no_one_reads_another_buyer_s_wallet(config, busi, stranger, keys):
    busi.post("wallet", user_id=45, balance="7.00").raise_for_status()
    assert stranger.get("wallet", user_id=45).status_code == 401
    assert as_buyer(config, keys, 46).get("wallet", user_id=45).status_code == 403
    assert as_buyer(config, keys, 45).get("wallet", user_id=45).json()["balance"] == "7.00"


def test_on_this_machine_s_open_service_a_buyer_s_credential_still_opens_no_operator_endpoint(
    config, busi, keys, new_product
):
    product = new_product(3)
    refused = operator_calls(as_buyer(config, keys, 47), product, user_id=47)
    assert [r.status_code for r in refused] == [403] * len(refused), [r.text for r in refused]
    assert busi.stock(product) == 3 and wallet(busi, 47) != Decimal("5000.00")


def operator_calls(client, product, user_id):
    """Every operator endpoint, called by client so as to change the shop if it could; the answers."""
    return [
        client.session.put(f"{client.url}/products/{product}/inventory", params={"stock": 1000}),
        client.post("products", name="free", price="0.01", stock=5),
        client.post("wallet", user_id=user_id, balance="5000.00"),
        client.post("reset", stock=1000, product_id=product),
        client.post("flashSales-crash", product_id=product),
        client.post("pay-crash", order_id=1),
        client.post("flashSales-batch", product_id=product),
        client.post("flashSales-compare"),
        client.get("orders", product_id=product),
    ]


@pytest.fixture(scope="module")
def closed_service(config):
    """A second gunicorn on 127.0.0.1:CLOSED_PORT, with OPERATOR_OPEN=0, on the same stores."""
    env = {**os.environ, "BUSI_PORT": str(CLOSED_PORT), "BUSI_URL": config.busi_url, "OPERATOR_OPEN": "0"}
    env["BUSI_DIR"] = str(REPO_DIR / ".run" / "busi-closed")
    command = [sys.executable, "-m", "gunicorn", "-c", "busi/server/gunicorn_conf.py", "-w", "2"]
    server = subprocess.Popen([*command, "busi.server.wsgi:app"], cwd=REPO_DIR, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{CLOSED_PORT}/api/busi"
    try:
        assert wait_until(lambda: healthy(url), 30), "the closed service did not start"
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def healthy(url):
    try:
        return requests.get(f"{url}/health", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def test_a_closed_service_answers_the_operator_only(closed_service, config, busi, keys, new_product):
    product = new_product(3)
    for client, status in [
        (BusiClient(closed_service), 401),
        (BusiClient(closed_service, lambda: keys.for_buyer(48)), 403),
    ]:
        answers = operator_calls(client, product, user_id=48)
        assert [r.status_code for r in answers] == [status] * len(answers), [r.text for r in answers]
        assert all(r.json()["error"] for r in answers)
    assert busi.stock(product) == 3 and busi.order_count(product) == 0 and wallet(busi, 48) != Decimal("5000.00")
    operator = BusiClient(closed_service, keys.for_operator)
    restocked = operator.session.put(f"{closed_service}/products/{product}/inventory", params={"stock": 9})
    assert restocked.status_code == 200 and busi.stock(product) == 9
    anonymous = BusiClient(closed_service).post("flashSales", product_id=product)  # buyers need nothing more
    assert anonymous.status_code == 200 and anonymous.json()["credential"]
