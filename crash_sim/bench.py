"""python -m crash_sim bench: figures, measured in one run, meant to be read as ratios.

paths: purchases through the running service: a crowd larger than the stock, so that both
       the success path (prepare, deduct, submit, then DTM's createOrder) and the sold-out
       path (prepare, failed deduction, abort) are timed.
dtm:   prepare + abort pairs over saga's pooled session, against dtmcli's way (a new
       connection per call), on the same DTM server.
fsync: the success path under wrk with Redis at appendfsync always and everysec, in pairs
       whose order alternates (ABBA: drift on a shared machine cancels within a pair), the
       ratio being the median of the pairs'; and Redis alone (redis-benchmark SET), to show
       what the fsync costs Redis itself.
"""
import statistics
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis as redis_lib
from dtmcli.dtmimp import trans_call_dtm

from crash_sim import wrk
from crash_sim.client import BusiClient
from saga import DtmClient, Msg

BENCH_PRODUCT = 999_001
FSYNC_PRODUCT = 999_003
FSYNC_MODES = ("always", "everysec")
SECTIONS = ("paths", "dtm", "fsync")


def purchase_rate(client, stock, buyers, concurrency):
    """Purchases per second for `buyers` buyers, `concurrency` at a time, on `stock` units."""
    client.reset(stock, BENCH_PRODUCT)
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        start = time.perf_counter()
        codes = list(pool.map(lambda user: client.purchase(user, BENCH_PRODUCT).status_code, range(1, buyers + 1)))
        elapsed = time.perf_counter() - start
    return buyers / elapsed, codes.count(200), codes.count(409)


def dtm_pairs_rate(dtm_url, pairs, pooled):
    """prepare + abort pairs per second, over a pooled session or a connection per call."""
    client = DtmClient(dtm_url)
    start = time.perf_counter()
    for _ in range(pairs):
        msg = Msg(client, f"bench-{uuid.uuid4().hex}").add({}, "http://127.0.0.1:1/unused")
        msg.trans_base.query_prepared = "http://127.0.0.1:1/unused"
        for operation in ("prepare", "abort"):
            if pooled:
                client.call(operation, msg.trans_base.__dict__)
            else:
                trans_call_dtm(dtm_url, msg.trans_base.__dict__, operation, client.timeout)
    return pairs / (time.perf_counter() - start)


def paths(busi_url, buyers, concurrency):
    client = BusiClient(busi_url)
    yield f"service: {buyers} buyers, {concurrency} at a time"
    rate, ok, sold_out = purchase_rate(client, buyers, buyers, concurrency)
    yield f"  success path:  {rate:7.1f} purchases/s ({ok} bought, {sold_out} sold out)"
    rate_out, ok, sold_out = purchase_rate(client, 0, buyers, concurrency)
    yield f"  sold-out path: {rate_out:7.1f} purchases/s ({ok} bought, {sold_out} sold out)"
    yield f"  sold-out / success: {rate_out / rate:.2f}x"


def dtm(dtm_url, pairs):
    yield f"DTM client: {pairs} prepare+abort pairs, one at a time"
    pooled = dtm_pairs_rate(dtm_url, pairs, pooled=True)
    per_call = dtm_pairs_rate(dtm_url, pairs, pooled=False)
    yield f"  pooled session:           {pooled:7.1f} pairs/s"
    yield f"  connection per call:      {per_call:7.1f} pairs/s (dtmcli's way)"
    yield f"  pooled / per call: {pooled / per_call:.2f}x"


def fsync(busi_url, redis_url, seconds, rounds):
    redis = redis_lib.Redis.from_url(redis_url)
    BusiClient(busi_url).reset(10**9, FSYNC_PRODUCT)
    url = f"{busi_url}/flashSales?user_id=1&product_id={FSYNC_PRODUCT}"
    yield f"success path under wrk (16 connections, {seconds} s a run, {rounds} pairs, ABBA order)"
    pairs = []
    for pair in range(rounds):
        loads = {}
        for mode in FSYNC_MODES if pair % 2 == 0 else reversed(FSYNC_MODES):
            with appendfsync(redis, mode):
                loads[mode] = wrk.run(url, seconds)
            yield f"  appendfsync {mode:8}  {loads[mode].line()}"
        pairs.append(loads["always"].rate / loads["everysec"].rate)
    yield f"  always / everysec, pair by pair: {', '.join(f'{r:.2f}' for r in pairs)}; " \
          f"median {statistics.median(pairs):.2f}x"
    sets = {mode: redis_set_rate(redis, redis_url, mode) for mode in FSYNC_MODES}
    yield f"Redis alone (redis-benchmark SET, 16 clients): always {sets['always']:.0f}/s, " \
          f"everysec {sets['everysec']:.0f}/s: always / everysec = {sets['always'] / sets['everysec']:.2f}x"


def redis_set_rate(redis, redis_url, mode, requests=50_000):
    url = urlsplit(redis_url)
    with appendfsync(redis, mode):
        out = subprocess.run(["redis-benchmark", "-h", url.hostname, "-p", str(url.port), "-t", "set",
                              "-n", str(requests), "-c", "16", "--csv"], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    return float(out.splitlines()[-1].split(",")[1].strip('"'))


@contextmanager
def appendfsync(redis, mode):
    """Redis at appendfsync `mode` for the block, then back to the stack's "always", whatever happened."""
    redis.config_set("appendfsync", mode)
    try:
        yield
    finally:
        redis.config_set("appendfsync", "always")


def run_bench(busi_url, dtm_url, redis_url, sections=SECTIONS, buyers=400, concurrency=16, pairs=300,
              fsync_seconds=8, fsync_rounds=4):
    if "paths" in sections:
        yield from paths(busi_url, buyers, concurrency)
    if "dtm" in sections:
        yield from dtm(dtm_url, pairs)
    if "fsync" in sections:
        yield from fsync(busi_url, redis_url, fsync_seconds, fsync_rounds)
