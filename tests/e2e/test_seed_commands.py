"""The DTM flash-sale seed's three curl lines work as written: no parameters at all.
A purchase without user_id buys for a new anonymous buyer, whose id the answer shows."""

import re

import pytest
import requests

from busi.adapters.stock import ANONYMOUS_BUYER_FROM, ANONYMOUS_BUYERS_KEY
from busi.config import API_PREFIX
from busi.scenarios.client import BAD_GATEWAY
from tests.conftest import wait_until
from tests.e2e.conftest import worker_crashes
from tests.e2e.test_batch import EXPECTED
from tests.e2e.test_crash import RECOVERY_DEADLINE_S


@pytest.fixture
def seed(config):
    """The seed's URLs use localhost, not 127.0.0.1."""
    return f"http://localhost:{config.busi_port}{API_PREFIX}"


def order_of(busi, gid, product=1):
    return next((o for o in busi.get("orders", product_id=product).json()["latest"] if o["gid"] == gid), None)


def test_flash_sales_without_parameters_buys_for_a_new_anonymous_buyer(busi, seed):
    busi.reset(2)
    first, second = (requests.get(f"{seed}/flashSales", timeout=30) for _ in range(2))
    assert first.status_code == second.status_code == 200, first.text
    ids = [first.json()["user_id"], second.json()["user_id"]]
    assert ids[0] > ANONYMOUS_BUYER_FROM and ids[1] != ids[0]
    assert wait_until(lambda: order_of(busi, first.json()["gid"]), 10)["user_id"] == ids[0]

    sold_out = requests.get(f"{seed}/flashSales", timeout=30)
    assert sold_out.status_code == 409, sold_out.text
    assert "credential" not in sold_out.json()  # too late: no anonymous buyer is made for a refusal


def test_flash_sales_crash_without_parameters(busi, seed, config, redis):
    busi.reset(1)
    crashes = worker_crashes(config)
    # The crashed request's buyer: the next anonymous id (no other test buys anonymously meanwhile).
    its_buyer = ANONYMOUS_BUYER_FROM + int(redis.get(ANONYMOUS_BUYERS_KEY) or 0) + 1
    try:
        response = requests.get(f"{seed}/flashSales-crash", timeout=30)
    except requests.ConnectionError:
        response = None
    assert response is None or response.status_code == BAD_GATEWAY  # no answer: the worker died
    assert wait_until(lambda: worker_crashes(config) > crashes, 10), "the crash line's worker did not die"
    assert wait_until(lambda: busi.order_count(1) == 1, RECOVERY_DEADLINE_S)
    assert busi.get("orders").json()["latest"][0]["user_id"] == its_buyer  # that request's order


def test_flash_sales_batch_without_parameters(seed):
    assert requests.get(f"{seed}/flashSales-batch", timeout=120).text.splitlines() == EXPECTED


def test_the_seed_lines_back_to_back_print_3_then_4(busi, seed):
    """reset, flashSales, flashSales-crash, then at once flashSales-batch: the crash's unit is
    still in flight when the batch resets the product. The reset waits for its order, so the
    batch's counts are its own: 3, then 4, as on a quiet product."""
    assert requests.post(f"{seed}/reset", params={"stock": 4}, timeout=30).status_code == 200
    assert requests.get(f"{seed}/flashSales", timeout=30).status_code == 200
    try:
        requests.get(f"{seed}/flashSales-crash", timeout=30)
    except requests.ConnectionError:
        pass  # the worker died after the deduction, as asked
    assert busi.order_count(1) == 1  # the crash's order is not there yet: its unit is in flight
    lines = requests.get(f"{seed}/flashSales-batch", timeout=120).text.splitlines()
    assert re.fullmatch(r"waited \d+\.\d s for 1 unit\(s\) in flight to become orders", lines[0]), lines
    assert lines[1:] == EXPECTED


@pytest.mark.parametrize("user_id", ["", "seven", "0", "-1", "1.5"])
def test_a_present_but_malformed_user_id_is_400_and_buys_nothing(busi, seed, new_product, user_id):
    """Only a user_id left out means a new anonymous buyer; an empty one is a mistake."""
    product = new_product(3)
    response = requests.get(f"{seed}/flashSales", params={"user_id": user_id, "product_id": product}, timeout=30)
    assert response.status_code == 400, response.text
    assert "user_id" in response.json()["error"]
    assert busi.stock(product) == 3
