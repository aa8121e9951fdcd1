"""The running business service (`make up` / `make test` start it under gunicorn)."""

import itertools
import os
from pathlib import Path

import pytest
import requests

from busi.domain.crash_points import CRASH_EXIT_CODE
from busi.scenarios.client import BusiClient
from saga import branch_seal, branch_token

_product_ids = itertools.count(10_000 + (os.getpid() % 1000) * 100)


@pytest.fixture(scope="session")
def busi(config):
    client = BusiClient(config.busi_url)
    try:
        client.get("health").raise_for_status()
    except requests.RequestException as err:
        pytest.fail(f"the business service is not healthy at {config.busi_url} ({err}): run `make up` first")
    return client


@pytest.fixture
def new_product(busi):
    """new_product(stock, strategy=None) -> a product id of this test's own, with that stock
    and no orders in the strategy's stores (the default strategy's when None)."""

    def make(stock, strategy=None):
        product_id = next(_product_ids)
        busi.reset(stock, product_id, strategy)
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
