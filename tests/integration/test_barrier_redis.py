"""The Redis barrier's Lua scripts, on the real Redis."""

import uuid

import pytest

from saga import BranchBarrier, DtmDuplicated, DtmFailure
from saga.barrier import CompensatedFirst
from saga.barrier_redis import BARRIER_EXPIRE_S, DEDUCTED, ROLLED_BACK, OverCap, Tally, barrier_key

KEY = "{t}-test-stock"


@pytest.fixture
def gid(redis):
    redis.set(KEY, 5)
    return f"{{t}}-{uuid.uuid4().hex}"


def test_deducts_once_per_barrier(redis, redis_barrier, gid):
    redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), KEY, -2)
    assert int(redis.get(KEY)) == 3
    assert redis.get(barrier_key(gid, "00", "msg", "01")) == b"op"
    # A week, to outlive DTM's own record of the transaction: a late back-query must find it.
    assert BARRIER_EXPIRE_S == 7 * 86400
    assert BARRIER_EXPIRE_S - 60 < redis.ttl(barrier_key(gid, "00", "msg", "01")) <= BARRIER_EXPIRE_S
    with pytest.raises(DtmDuplicated):  # the same msg barrier again: refused, stock untouched
        redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), KEY, -2)
    assert int(redis.get(KEY)) == 3


def test_a_duplicate_action_is_ignored(redis, redis_barrier, gid):
    for _ in range(2):
        redis_barrier.check_adjust_amount(BranchBarrier("saga", gid, "01", "action"), KEY, -1)
    assert int(redis.get(KEY)) == 4


def test_never_below_zero_and_nothing_written(redis, redis_barrier, gid):
    with pytest.raises(DtmFailure):
        redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), KEY, -6)
    assert int(redis.get(KEY)) == 5
    assert redis.get(barrier_key(gid, "00", "msg", "01")) is None


def test_a_missing_key_is_a_failure(redis, redis_barrier, gid):
    with pytest.raises(DtmFailure):
        redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), "{t}-no-such-key", -1)


def test_compensation_before_its_action_is_empty_and_blocks_the_action(redis, redis_barrier, gid):
    redis_barrier.check_adjust_amount(BranchBarrier("saga", gid, "01", "compensate"), KEY, 1)
    assert int(redis.get(KEY)) == 5  # nothing to give back
    assert redis.get(barrier_key(gid, "01", "action", "01")) == b"rollback"
    with pytest.raises(CompensatedFirst):  # too late: a no, so that nothing runs the next step on its word
        redis_barrier.check_adjust_amount(BranchBarrier("saga", gid, "01", "action"), KEY, -1)
    assert int(redis.get(KEY)) == 5  # the late action finds its barrier taken


def test_query_prepared(redis, redis_barrier, gid):
    redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), KEY, -1)
    redis_barrier.query_prepared(gid)  # committed: no exception
    other = f"{{t}}-{uuid.uuid4().hex}"
    with pytest.raises(DtmFailure):
        redis_barrier.query_prepared(other)
    assert redis.get(barrier_key(other, "00", "msg", "01")) == b"rollback"
    with pytest.raises(DtmDuplicated):  # the local transaction, arriving late, does nothing
        redis_barrier.check_adjust_amount(BranchBarrier("msg", other, "00", "msg"), KEY, -1)
    assert int(redis.get(KEY)) == 4


def calls(redis, command):
    """How often the Redis holding KEY ran `command` (on a Redis Cluster, KEY's shard)."""
    shard = {"target_nodes": redis.get_node_from_key(KEY)} if hasattr(redis, "get_node_from_key") else {}
    return redis.info("commandstats", **shard).get(f"cmdstat_{command}", {}).get("calls", 0)


def test_scripts_are_called_by_sha(redis, redis_barrier, gid):
    redis.script_flush()  # a restarted Redis: the client loads the script again by itself
    before = {command: calls(redis, command) for command in ("eval", "evalsha", "script|load")}
    for _ in range(3):
        redis_barrier.check_adjust_amount(BranchBarrier("msg", f"{gid}-{_}", "00", "msg"), KEY, -1)
    assert calls(redis, "eval") == before["eval"]  # the script text is never sent per call
    assert calls(redis, "script|load") == before["script|load"] + 1  # loaded once
    assert calls(redis, "evalsha") >= before["evalsha"] + 3
    assert int(redis.get(KEY)) == 2


def test_a_taken_barrier_reads_duplicate_even_when_the_stock_is_short(redis, redis_barrier, gid):
    """The one change from DTM's script: the barrier before the stock. A purchase sent again
    (the same Idempotency-Key) after its twin took the last unit must read DUPLICATE, not sold out."""
    redis.set(KEY, 1)
    redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), KEY, -1)
    assert redis_barrier.msg_outcome(gid) == DEDUCTED
    with pytest.raises(DtmDuplicated):
        redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), KEY, -1)
    assert int(redis.get(KEY)) == 0


def test_msg_outcome_reads_the_barrier(redis_barrier, gid):
    assert redis_barrier.msg_outcome(gid) is None  # not run yet, and may still
    with pytest.raises(DtmFailure):
        redis_barrier.query_prepared(gid)
    assert redis_barrier.msg_outcome(gid) == ROLLED_BACK


def test_a_tally_counts_the_amount_and_refuses_past_its_cap(redis, redis_barrier, gid):
    held, cap = "{t}-test-held", "{t}-test-cap"
    redis.delete(held)
    redis.set(cap, 3)
    tally = Tally(held, "buyer-1", cap)
    redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), KEY, -2, tally)
    assert (int(redis.get(KEY)), int(redis.hget(held, "buyer-1"))) == (3, 2)
    with pytest.raises(OverCap):  # 2 + 2 > 3: refused whole, and no barrier written
        redis_barrier.check_adjust_amount(BranchBarrier("msg", gid + "b", "00", "msg"), KEY, -2, tally)
    assert (int(redis.get(KEY)), int(redis.hget(held, "buyer-1"))) == (3, 2)
    assert redis.get(barrier_key(gid + "b", "00", "msg", "01")) is None
    redis_barrier.check_adjust_amount(BranchBarrier("msg", gid + "c", "00", "msg"), KEY, -1, tally)  # 3: at the cap
    # Given back without the cap (an expired order), the field counts down; another field is apart.
    redis_barrier.check_adjust_amount(BranchBarrier("saga", gid, "02", "action"), KEY, 3, Tally(held, "buyer-1"))
    assert (int(redis.get(KEY)), int(redis.hget(held, "buyer-1"))) == (5, 0)
    redis.delete(cap)  # no cap: no limit
    redis_barrier.check_adjust_amount(BranchBarrier("msg", gid + "d", "00", "msg"), KEY, -5, Tally(held, "b2", cap))
    assert int(redis.hget(held, "b2")) == 5
