"""A deduction Redis acknowledged survives a SIGKILL of Redis: the append-only file is on.

What this proves, and what it cannot: a SIGKILL kills the process, not the kernel, so the
writes Redis had handed to the kernel survive whether or not they were fsynced. It tells
`appendonly yes` from Redis's default (RDB snapshots only, which lost this very deduction),
and it cannot tell `appendfsync always` from `everysec`: only a power cut or a kernel crash
can. That `always` is set is checked from the running server's own configuration."""

import uuid

import pytest

from crash_sim import stack
from saga import BranchBarrier
from saga.barrier_redis import barrier_key

KEY = "{t}-durable-stock"


def test_acknowledged_deductions_survive_a_redis_sigkill(config, redis, redis_barrier):
    if not config.local_redis:
        pytest.skip("REDIS_URL names a server the local stack did not start")
    redis.set(KEY, 10)
    gids = [f"{{t}}-{uuid.uuid4().hex}" for _ in range(5)]
    for gid in gids:
        redis_barrier.check_adjust_amount(BranchBarrier("msg", gid, "00", "msg"), KEY, -1)
    stack.kill("redis")  # right after the last reply: no snapshot had time to save them
    stack.start("redis")
    assert redis.config_get("appendfsync") == {"appendfsync": "always"}  # as configured, not as proven
    assert int(redis.get(KEY)) == 5
    assert all(redis.get(barrier_key(gid, "00", "msg", "01")) == b"op" for gid in gids)
