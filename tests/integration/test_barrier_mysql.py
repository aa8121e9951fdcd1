"""The MySQL barrier, on the real MariaDB: the business write runs at most once."""

import uuid

import pytest
from sqlalchemy import text

from busi.adapters.orders import insert_order, orders_of_gid
from saga import BranchBarrier, DtmDuplicated, DtmFailure
from saga.barrier import CompensatedFirst

PRODUCT = 9001


def new_gid():
    return f"test-{uuid.uuid4().hex}"


def create(conn, gid):
    insert_order(conn, gid, user_id=1, product_id=PRODUCT, amount=1)


def barrier_rows(mysql, gid):
    with mysql.connect() as conn:
        return conn.execute(
            text("SELECT op, barrier_id, reason FROM dtm_barrier.barrier WHERE gid = :gid ORDER BY id"), {"gid": gid}
        ).all()


def test_runs_once_for_repeated_deliveries(mysql):
    gid = new_gid()
    ran = [BranchBarrier("msg", gid, "01", "action").call(mysql, lambda conn: create(conn, gid)) for _ in range(3)]
    assert ran == [True, False, False]
    assert orders_of_gid(mysql, gid) == 1
    assert barrier_rows(mysql, gid) == [("action", "01", "action")]


def test_a_failing_business_leaves_no_barrier_so_the_retry_runs(mysql):
    gid = new_gid()

    def fail(conn):
        create(conn, gid)
        raise RuntimeError("MySQL went away mid-transaction")

    with pytest.raises(RuntimeError):
        BranchBarrier("msg", gid, "01", "action").call(mysql, fail)
    assert barrier_rows(mysql, gid) == [] and orders_of_gid(mysql, gid) == 0
    assert BranchBarrier("msg", gid, "01", "action").call(mysql, lambda conn: create(conn, gid))
    assert orders_of_gid(mysql, gid) == 1


def test_empty_compensation_then_dangling_action(mysql):
    gid = new_gid()
    assert not BranchBarrier("saga", gid, "01", "compensate").call(mysql, lambda conn: create(conn, gid))
    # Too late: it says no, so that nothing runs the saga's next step on its word.
    with pytest.raises(CompensatedFirst):
        BranchBarrier("saga", gid, "01", "action").call(mysql, lambda conn: create(conn, gid))
    assert orders_of_gid(mysql, gid) == 0
    assert barrier_rows(mysql, gid) == [("action", "01", "compensate"), ("compensate", "01", "compensate")]


def test_an_action_done_before_its_compensation_is_a_plain_duplicate(mysql):
    gid = new_gid()
    assert BranchBarrier("saga", gid, "01", "action").call(mysql, lambda conn: create(conn, gid))
    assert not BranchBarrier("saga", gid, "01", "action").call(mysql, lambda conn: create(conn, gid))
    assert BranchBarrier("saga", gid, "01", "compensate").call(mysql, lambda conn: None)
    assert not BranchBarrier("saga", gid, "01", "action").call(mysql, lambda conn: create(conn, gid))  # done once
    assert orders_of_gid(mysql, gid) == 1


def test_msg_op_duplicate_is_refused(mysql):
    gid = new_gid()
    BranchBarrier("msg", gid, "00", "msg").call(mysql, lambda conn: None)
    with pytest.raises(DtmDuplicated):
        BranchBarrier("msg", gid, "00", "msg").call(mysql, lambda conn: create(conn, gid))
    assert orders_of_gid(mysql, gid) == 0


def test_query_prepared_after_and_before_the_local_transaction(mysql):
    committed, never_ran = new_gid(), new_gid()
    BranchBarrier("msg", committed, "00", "msg").call(mysql, lambda conn: create(conn, committed))
    BranchBarrier("msg", committed, "00", "msg").query_prepared(mysql)  # committed: no exception
    with pytest.raises(DtmFailure):
        BranchBarrier("msg", never_ran, "00", "msg").query_prepared(mysql)
    with pytest.raises(DtmDuplicated):  # the late local transaction finds the rollback mark
        BranchBarrier("msg", never_ran, "00", "msg").call(mysql, lambda conn: create(conn, never_ran))
    assert orders_of_gid(mysql, never_ran) == 0


def test_gid_is_data_not_sql(mysql):
    gid = "x', 'y'); DELETE FROM flash_sale.orders; -- " + uuid.uuid4().hex
    assert BranchBarrier("msg", gid, "01", "action").call(mysql, lambda conn: create(conn, gid))
    assert orders_of_gid(mysql, gid) == 1
