"""The "Redis answers late" row's witness reads Redis's MONITOR record: a deduction counts as
late only when Redis ran it after that purchase's back-query."""

from crash_sim.redis_late import deductions_after_back_query
from saga.barrier import MSG_BARRIER_ID, MSG_BRANCH, MSG_OP
from saga.barrier_redis import barrier_key


def back_query(gid):
    return ["EVALSHA", "sha-query", "1", barrier_key(gid, MSG_BRANCH, MSG_OP, MSG_BARRIER_ID), "604800"]


def deduction(gid):
    msg_key = barrier_key(gid, MSG_BRANCH, MSG_OP, MSG_BARRIER_ID)
    return [
        "EVALSHA",
        "sha-adjust",
        "5",
        "stock:{p7}",
        msg_key,
        f"{gid}-00--01",
        "units:{p7}",
        "limit:{p7}",
        "-1",
        "",
        "604800",
        "42",
    ]


def test_a_deduction_after_its_back_query_is_late():
    assert deductions_after_back_query([back_query("{p7}-a"), deduction("{p7}-a")]) == ["{p7}-a"]


def test_a_deduction_before_its_back_query_is_not():
    assert deductions_after_back_query([deduction("{p7}-a"), back_query("{p7}-a")]) == []


def test_another_purchase_s_back_query_does_not_count():
    commands = [back_query("{p7}-b"), deduction("{p7}-a"), ["GET", "stock:{p7}"]]
    assert deductions_after_back_query(commands) == []
