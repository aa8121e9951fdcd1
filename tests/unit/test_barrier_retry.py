"""BranchBarrier.call runs a local transaction that lost a deadlock or a lock wait again, a
few times, instead of handing DTM a branch error; any other error goes up at once. The engine
is a stand-in: the real deadlock is MariaDB's, and here only the retry is under test."""

from contextlib import contextmanager
from types import SimpleNamespace

import pymysql
import pytest
from sqlalchemy.exc import OperationalError

from saga import barrier
from saga.barrier import BranchBarrier


class Engine:
    """begin() yields a connection whose every INSERT IGNORE inserts a row."""

    def __init__(self):
        self.transactions = 0

    @contextmanager
    def begin(self):
        self.transactions += 1
        yield SimpleNamespace(execute=lambda *_: SimpleNamespace(rowcount=1))


def mysql_error(code):
    return OperationalError("UPDATE wallets ...", {}, pymysql.err.OperationalError(code, "..."))


def failing(codes):
    """A business function that raises these MySQL errors, one per call, then succeeds."""
    calls = []

    def business(conn):
        calls.append(conn)
        if len(calls) <= len(codes):
            raise mysql_error(codes[len(calls) - 1])

    return business, calls


def test_a_deadlock_and_a_lock_wait_run_the_transaction_again():
    engine, (business, calls) = Engine(), failing([1213, 1205])
    assert BranchBarrier("saga", "g1", "01", "action").call(engine, business) is True
    assert len(calls) == 3 and engine.transactions == 3


def test_it_gives_up_after_the_last_attempt():
    engine, (business, calls) = Engine(), failing([1213] * barrier.ATTEMPTS)
    with pytest.raises(OperationalError):
        BranchBarrier("saga", "g1", "01", "action").call(engine, business)
    assert len(calls) == barrier.ATTEMPTS


def test_another_error_goes_up_at_once():
    engine, (business, calls) = Engine(), failing([2013])  # lost connection: not known to be rolled back
    with pytest.raises(OperationalError):
        BranchBarrier("saga", "g1", "01", "action").call(engine, business)
    assert len(calls) == 1
