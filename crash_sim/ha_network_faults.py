"""The HA stack's network rows: one of two is cut off, both directions silent, while the
other carries on (docs/fault-matrix.md). scripts/stack.sh ha-links-up puts dtm-1's link to
the shared MySQL store, and busi-1's link to each Redis shard, through Toxiproxy; dtm-2 and
busi-2 go direct. A cut is silence, not a refusal: what is sent is dropped, nothing tells the
sender, and each of its requests waits for its own timeout.
"""

import re
import time
from contextlib import ExitStack

import requests

from busi.config import API_PREFIX, HA_LINKS, HA_SERVERS, Config
from crash_sim import stack
from crash_sim.fault import Fault
from crash_sim.toxiproxy import REPLIES, REQUESTS, SILENT, Toxic

CUT_S = 20
DTM_1_STORE = "dtm-1-store"
BUSI_1_REDIS = tuple(f"busi-1-redis-{port}" for port in HA_SERVERS["redis_shards"])  # a proxy per shard
HA_PROXIES = {DTM_1_STORE, *BUSI_1_REDIS}  # as scripts/ha.sh names them
DTM_1_URL = f"http://127.0.0.1:{HA_SERVERS['dtm_servers'][0]}/api/dtmsvr"
BUSI_1_URL = f"http://127.0.0.1:{HA_SERVERS['busi_instances'][0]}{API_PREFIX}"
BACK_DEADLINE_S = 60  # for the one cut off to serve again once healed


def cut_off(links, back_again):
    """An inject function: every link silent both ways for CUT_S; the units the crowd bought
    meanwhile noted, as the other of the two sold them. Once healed, back_again(sale) must show
    that the one cut off serves again."""

    def inject(sale):
        hit = sale.crowd.sold
        sale.seen["log at the cut"] = sale.service_log.stat().st_size
        sale.seen["dtm-1 taken out"] = stack.times_taken_out("dtm", "dtm-1")
        with ExitStack() as on:
            for link in links:
                for stream in (REQUESTS, REPLIES):
                    on.enter_context(Toxic(link, "timeout", stream, SILENT, then_s=0).on())
            time.sleep(CUT_S)  # a schedule: how long the cut lasts
            sale.seen["sold during the cut"] = sale.crowd.sold - hit
        back_again(sale)
        return hit

    return inject


def dtm_1_reads_its_store(sale):
    """dtm-1 lists the newest transaction, read from the store (its /api/ping needs none)."""
    _poll(sale, "dtm-1 reads its store again", lambda: requests.get(f"{DTM_1_URL}/all?limit=1", timeout=5))


def busi_1_reaches_redis(sale):
    """busi-1's own /health (Redis, MySQL and DTM from a worker), not the balancer's, answered
    by one worker after another: each worker's cluster client must have found Redis again."""
    ask = lambda: requests.get(f"{BUSI_1_URL}/health", timeout=5)  # noqa: E731
    _poll(sale, "busi-1's workers reach Redis again", ask, in_a_row=2 * Config.from_env().busi_workers)


def _poll(sale, what, ask, in_a_row=1):
    """ask() until it answers 200 in_a_row times, or the deadline (a problem of the row)."""
    deadline, answered = time.monotonic() + BACK_DEADLINE_S, 0
    while time.monotonic() < deadline:
        try:
            answered = answered + 1 if ask().status_code == 200 else 0
        except requests.RequestException:
            answered = 0
        if answered >= in_a_row:
            return
        time.sleep(0.2 if not answered else 0)
    sale.problems.append(f"not within {BACK_DEADLINE_S} s of the heal: {what}")


def dtm_1_taken_out(sale):
    """HAProxy took dtm-1 out of the pool: its check reads the store (scripts/ha.sh). With a
    check that does not (/api/ping), dtm-1 would stay in, and this row would see nothing."""
    taken_out = stack.times_taken_out("dtm", "dtm-1") - sale.seen["dtm-1 taken out"]
    return f"HAProxy took dtm-1 out {taken_out} time(s)" if taken_out else ""


def busi_1_timeouts(sale):
    """busi-1's Redis commands that timed out on one of its proxies since the cut (its
    purchases, and its workers' expiry sweeps, which read Redis every few seconds)."""
    with sale.service_log.open(errors="replace") as log:
        log.seek(sale.seen["log at the cut"])
        since_the_cut = log.read()
    proxies = "|".join(map(str, HA_LINKS["busi_1_redis"]))
    timeouts = re.findall(rf"Timeout reading from 127\.0\.0\.1:(?:{proxies})", since_the_cut)
    return f"{len(timeouts)} Redis timeouts in busi-1's log" if timeouts else ""


def sold_on(other, cut_witness):
    """A witness: what shows the cut (cut_witness), and the units sold during it, by the other
    of the two. A cut during which nothing sold is a problem of the row."""

    def witness(sale):
        sold = sale.seen["sold during the cut"]
        if not sold:
            sale.problems.append(f"nothing sold during the {CUT_S} s cut: {other} did not carry on")
        seen = cut_witness(sale)
        return f"{seen}; {sold} sold during the cut" if seen else ""

    return witness


HA_NETWORK_FAULTS = [
    Fault(
        "dtm_one_cut_from_store",
        "one of two DTM servers cut from the store for 20 s",
        cut_off([DTM_1_STORE], dtm_1_reads_its_store),
        link=DTM_1_STORE,
        witness=sold_on("the other DTM server", dtm_1_taken_out),
    ),
    Fault(
        "busi_one_cut_from_redis",
        "one of two services cut from Redis for 20 s",
        cut_off(BUSI_1_REDIS, busi_1_reaches_redis),
        link=BUSI_1_REDIS[0],
        witness=sold_on("the other service", busi_1_timeouts),
    ),
]
