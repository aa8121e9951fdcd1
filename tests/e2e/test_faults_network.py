"""The fault matrix's network rows (crash_sim/network_faults.py) on the single stack, whose
links pass through Toxiproxy: each fault really happened (its witness saw it), and the
promise held."""

import pytest

from crash_sim import faults
from crash_sim.network_faults import NETWORK_FAULTS
from tests.e2e.conftest import assert_held


@pytest.fixture(scope="module")
def matrix(config):
    if config.ha:
        pytest.skip("the network rows run through the single stack's proxies (scripts/stack.sh rtt-up)")
    return faults.Matrix(config)


@pytest.mark.parametrize("fault", NETWORK_FAULTS, ids=lambda fault: fault.key)
def test_network_fault(matrix, fault):
    row = matrix.run(fault)
    assert row.seen, f"{fault.label}: nothing shows that the fault happened"
    assert_held(row)
