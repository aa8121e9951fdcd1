"""The fault matrix's row "Redis answers late, past the back-query" (docs/fault-matrix.md): a
purchase that stalls past its back-query is rolled back, and its deduction, arriving after,
is refused by the barrier.

The sale goes to the service behind Toxiproxy, as for the other network rows, but DTM calls
the branches of the first service (scripts/stack.sh rtt-up main), whose link to Redis is
direct. A toxic on the Redis link then delays the purchases, not the back-query that settles
them: on one shared link a back-query sent after a deduction would stay behind it.
"""

import time

from busi.adapters import orders, redis_client
from busi.adapters.stock import hash_tag
from crash_sim.fault import Fault
from crash_sim.redis_monitor import RedisMonitor
from crash_sim.toxiproxy import REPLIES, REQUESTS, Toxic
from saga.barrier import MSG_BARRIER_ID, MSG_BRANCH, MSG_OP

# The requests arrive a second after the service has stopped waiting for the answer.
LATE_S = redis_client.TIMEOUT_S + 1
# A purchase in prepare when the toxic lands waits TIMEOUT_S for its live-page note (answered
# LATE_S late), then sends its deduction, which arrives LATE_S later. A latency toxic, when
# healed, sends on at once what it holds: so it stays on past the last of them.
LATE_FOR_S = redis_client.TIMEOUT_S + LATE_S + 2
_MSG_KEY_END = f"-{MSG_BRANCH}-{MSG_OP}-{MSG_BARRIER_ID}"  # a msg's barrier key: saga/barrier_redis.barrier_key


def deductions_arrive_late(sale):
    """DTM's answers slowed by 500 ms, so that purchases sit in prepare with their deduction
    next; then every request from the service to Redis LATE_S late, for LATE_FOR_S. A purchase
    gives up on Redis after TIMEOUT_S and asks the back-query (so does DTM, 4 s after
    prepare), which finds no deduction and marks the purchase rolled back. Redis's own record
    (MONITOR) shows what it ran, in order, for the witness."""
    hit = sale.crowd.sold
    with RedisMonitor(sale.redis_url, hash_tag(sale.product)) as monitor:
        with Toxic("dtm", "latency", REPLIES, {"latency": 500}, then_s=0).on():
            time.sleep(0.3)  # a schedule: purchases that were reading the stock reach prepare
            with Toxic("redis", "latency", REQUESTS, {"latency": LATE_S * 1000}, then_s=0).on():
                time.sleep(LATE_FOR_S)  # a schedule: how long the fault lasts
    sale.seen["redis commands"] = monitor.commands
    return hit


def late_deductions_refused(sale):
    """The purchases whose deduction Redis ran after their back-query, in Redis's own order.
    Each must have been refused: no order, and failed by DTM (else a problem of the row)."""
    late = deductions_after_back_query(sale.seen["redis commands"])
    with_order = orders.gids_with_orders(sale.mysql, late)
    not_failed = [gid for gid in late if sale.audit.dtm_status.get(gid) != "failed"]
    if with_order or not_failed:
        sale.problems.append(f"deductions after their back-query, yet ordered: {with_order}, not failed: {not_failed}")
    return f"{len(late)} deductions came after the back-query, refused" if late else ""


def deductions_after_back_query(commands):
    """The gids whose deduction (the barrier's adjust script: stock key, then the msg's barrier
    key) Redis ran after their back-query (the query script: the msg's barrier key alone),
    from MONITOR's commands, each a list of words, oldest first."""
    queried, late = set(), []
    for command in commands:
        if command[0].upper() != "EVALSHA":
            continue
        keys = command[3 : 3 + int(command[2])]
        if len(keys) == 1 and keys[0].endswith(_MSG_KEY_END):
            queried.add(keys[0])
        elif len(keys) > 2 and keys[1].endswith(_MSG_KEY_END) and keys[1] in queried:
            late.append(keys[1].removesuffix(_MSG_KEY_END))
    return late


REDIS_LATE = Fault(
    "redis_late",
    f"Redis answers {LATE_S} s late, past the back-query",
    deductions_arrive_late,
    link="redis",
    branches_on_main=True,
    after_restock=True,
    witness=late_deductions_refused,
)
