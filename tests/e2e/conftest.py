"""The running business service (`make up` / `make test` start it under gunicorn)."""

import itertools
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from busi.config import API_PREFIX, REPO_DIR, RTT_STACK
from busi.domain.crash_points import CRASH_EXIT_CODE
from busi.scenarios.client import UNPAID_FOR_S, BusiClient, operator_client
from crash_sim import faults, toxiproxy
from saga import branch_seal, branch_token
from tests.conftest import wait_until

_product_ids = itertools.count(10_000 + (os.getpid() % 1000) * 100)


@pytest.fixture(scope="session")
def busi(config):
    client = operator_client(config)  # the operator: acts for every buyer
    try:
        client.get("health").raise_for_status()
    except requests.RequestException as err:
        pytest.fail(f"the business service is not healthy at {config.busi_url} ({err}): run `make up` first")
    return client


@pytest.fixture
def stranger(config):
    """A client with no credential: anyone on this machine."""
    return BusiClient(config.busi_url)


@pytest.fixture
def new_product(busi):
    """new_product(stock, strategy=None) -> a product id of this test's own, with that stock
    and no orders in the strategy's stores (the default strategy's when None). A week to pay:
    its unpaid orders must not expire during a later test (a test of expiry sets its own)."""

    def make(stock, strategy=None):
        product_id = next(_product_ids)
        busi.reset(stock, product_id, strategy, pay_within_s=UNPAID_FOR_S)
        return product_id

    return make


@pytest.fixture
def signed(config):
    """signed(gid) -> the headers DTM sends with a branch call of gid (its branch token)."""
    return lambda gid: branch_token.headers(config.branch_secret, gid)


@pytest.fixture
def sealed(config):
    """sealed(gid, branch_id, payload, action, compensate="") -> the payload as the service seals
    it for that branch of gid (saga/branch_seal.py), as DTM then sends it."""
    return lambda gid, branch, payload, action, compensate="": branch_seal.seal(
        config.branch_secret, gid, branch, payload, action, compensate
    )


# Payment: an order of a fresh product at PRICE, and what its buyer and the order look like.
PRICE = Decimal("12.50")
ORDER_DEADLINE_S = 10


@pytest.fixture
def order_of(busi, new_product):
    """order_of(user_id, balance="100.00") -> the gid of a fresh order of a new product at PRICE,
    its buyer's wallet reset to `balance`."""

    def buy(user_id, balance="100.00"):
        product = new_product(5)
        busi.post("reset", stock=5, product_id=product, price=str(PRICE), balance=balance).raise_for_status()
        gid = busi.purchase(user_id, product).json()["gid"]
        assert wait_until(lambda: order_status(busi, product, gid), ORDER_DEADLINE_S) == "created"
        return gid

    return buy


def order_status(busi, product, gid):
    orders = busi.get("orders", product_id=product).json()["latest"]
    return next((o["status"] for o in orders if o["gid"] == gid), None)


def wallet(busi, user_id):
    return Decimal(busi.get("wallet", user_id=user_id).json()["balance"])


def product_of(gid):
    return int(gid.split("}")[0][2:])


def instance_dirs(config):
    """The service's folders: .run/busi, or one per instance on the HA stack (.run/busi-N)."""
    run = Path(config.run_dir)
    return sorted(run.glob("busi-[0-9]")) if config.ha else [run / "busi"]


def busi_log(config):
    """The service's log (every instance's), written by the local stack's gunicorn."""
    return "".join((folder / "busi.log").read_text() for folder in instance_dirs(config))


def worker_crashes(config):
    """How many times gunicorn has reported a worker dying with the crash exit code."""
    return busi_log(config).count(f"exited with code {CRASH_EXIT_CODE}")


def assert_held(row):
    """A row of the fault matrix (crash_sim/faults.py) held, and tested something."""
    # Buyers after the last unit are answered by Redis alone: a fault then would test nothing.
    assert row.sold_at_fault < faults.STOCK, "the fault hit after the sale sold out"
    assert row.problems() == []
    assert (row.audit.units_ordered, row.audit.stock_left) == (row.audit.added, 0)  # the sale went on and sold out
    assert row.audit.added in (faults.STOCK, faults.STOCK + faults.RESTOCK)  # restocked once, or the fault stopped it


@pytest.fixture
def apart(config):
    """The operator's client of the service whose every link passes through Toxiproxy
    (scripts/stack.sh rtt-up, docs/tiers-apart.md); no toxic is left on after the test. For
    each test: a fault-matrix row may have restarted that service to call another's branches."""
    if config.ha:
        pytest.skip("the proxies are the single stack's (scripts/stack.sh rtt-up)")
    subprocess.run(["bash", "scripts/stack.sh", "rtt-up"], cwd=REPO_DIR, check=True, capture_output=True)
    toxiproxy.reset()
    yield operator_client(config, f"http://127.0.0.1:{RTT_STACK['busi_port']}{API_PREFIX}")
    toxiproxy.reset()
