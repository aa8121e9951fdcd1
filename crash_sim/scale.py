"""python -m crash_sim bench --only scale: what one of each piece of the HA stack can do
(docs/scale.md turns these into an estimate for N machines).

- one Redis shard: the barrier's deduction script (saga/barrier_redis.py) straight from
  redis-benchmark, every call a new barrier key and one unit off one product's stock: the
  limit of one hot product, whose stock is one key on one shard;
- one service instance, and both through HAProxy: successful purchases under wrk;
- one DTM server, and both through HAProxy: bare two-phase messages under wrk (bench.py).

All of them share this machine's two cores, so a rate here is what a piece does while the
others run beside it, not what it would do alone on a machine of its own.
"""

import re
import subprocess

from busi.adapters import redis_client
from busi.adapters.stock import hash_tag, stock_key
from busi.config import API_PREFIX, HA_SERVERS
from busi.scenarios.client import UNPAID_FOR_S, operator_client
from crash_sim import bench, show, wrk
from saga.barrier_redis import ADJUST_AMOUNT, BARRIER_EXPIRE_S, barrier_key
from saga.dtm_client import API_PATH

PRODUCT = 999_400
STOCK = 10**12


def shard_deductions(config, requests=100_000, connections=50):
    """(deductions per second, p50 ms, the shard's port) on the shard of PRODUCT's stock, from
    redis-benchmark, a C client that is not the limit."""
    key, gid = stock_key(PRODUCT), f"{hash_tag(PRODUCT)}-__rand_int__"  # a new barrier for each call
    cluster = redis_client.connect(config)
    cluster.set(key, STOCK)
    port = cluster.get_node_from_key(key).port
    cluster.close()
    command = [
        "redis-benchmark", "-p", str(port), "-c", str(connections), "-n", str(requests), "-r", "1000000000", "-q",
        "EVAL", ADJUST_AMOUNT, "3", key, barrier_key(gid, "01", "msg", "01"), barrier_key(gid, "01", "", "01"),
        "-1", "", str(BARRIER_EXPIRE_S),
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=300).stdout
    match = re.search(r"([0-9.]+) requests per second, p50=([0-9.]+) msec", output.replace("\r", "\n"))
    return float(match[1]), float(match[2]), port


def run(config, seconds=6, connections=50):
    """The table of what each piece does, one at a time under wrk (redis-benchmark for the shard)."""
    if not config.ha:
        raise OSError("bench --only scale measures the HA stack: `make up-ha`, and HA=1 in the environment")
    yield "one of each piece of the HA stack, and each tier through HAProxy; all on this machine's 2 cores"
    rate, p50, port = shard_deductions(config)
    rows = [[f"Redis shard {port}: the deduction script", f"{rate:.0f}", f"{p50:.2f}", ""]]
    client = operator_client(config)
    services = [(f"service :{p}", f"http://127.0.0.1:{p}{API_PREFIX}") for p in HA_SERVERS["busi_instances"]]
    for label, url in [*services, ("both services, via HAProxy", config.busi_url)]:
        client.post("reset", stock=10**9, product_id=PRODUCT, pay_within_s=UNPAID_FOR_S).raise_for_status()
        load = wrk.run(
            f"{url}/flashSales?product_id={PRODUCT}&user_id=1", seconds, connections, headers=client.header_lines()
        )
        rows.append([f"purchases, {label}", f"{load.rate:.0f}", f"{load.p50_ms:.1f}", f"{load.p99_ms:.1f}"])
    servers = [(f"DTM :{p}", f"http://127.0.0.1:{p}{API_PATH}") for p in HA_SERVERS["dtm_servers"]]
    for label, url in [*servers, ("both DTM servers, via HAProxy", config.dtm_url)]:
        load = bench.bare_msgs(config.busi_url, url, seconds, connections)
        rows.append([f"bare msgs, {label}", f"{load.rate / 2:.0f}", f"{load.p50_ms:.1f}", f"{load.p99_ms:.1f}"])
    yield from show.table_lines(["piece", "per s", "p50 ms", "p99 ms"], rows)
    yield "(bare msgs: prepare + submit straight to DTM, the no-op /ping as branch; per message, latencies per request)"
