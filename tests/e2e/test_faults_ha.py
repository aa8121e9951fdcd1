"""The HA stack's rows of the fault matrix (`make test-ha`): one of many fails under a crowd,
the promise holds, and the buyers who saw an error are no more than the requests it held."""

import pytest

from crash_sim import faults, stack
from tests.e2e.conftest import assert_held

pytestmark = pytest.mark.usefixtures("ha_stack")


@pytest.fixture(scope="module")
def ha_stack(config):
    if not config.ha:
        pytest.skip("the HA stack's rows: run them with `make test-ha`")


@pytest.fixture(scope="module")
def matrix(config):
    return faults.Matrix(config)


@pytest.mark.parametrize("key", ["dtm_one_kill", "busi_one_kill"])
def test_one_of_two_dies_and_the_other_serves(matrix, key):
    fault = faults.BY_KEY[key]
    before = stack.pid(fault.server)
    row = matrix.run(fault)
    assert stack.pid(fault.server) != before  # it really died, and came back
    assert_held(row)
    assert row.errored <= faults.CONCURRENCY  # at most the requests in flight when it died


def test_the_products_shard_dies_its_purchases_wait_and_nothing_is_oversold(matrix):
    row = matrix.run(faults.BY_KEY["redis_shard_kill"])
    assert_held(row)
    assert row.retried > 0  # its buyers saw it: no replica took over with a stale stock


def test_another_shard_dies_and_this_product_sells_on(matrix):
    row = matrix.run(faults.BY_KEY["redis_other_shard_kill"])
    assert_held(row)
    assert row.errored == 0
