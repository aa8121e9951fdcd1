"""python -m crash_sim stream_bench: the stock stream under a sale, 1,000 viewers open.

wrk buys one product (the dtm success path, 50 connections, as bench's `dtm success`) in
rounds without viewers and with them, in ABBA order so that the machine's drift weighs the
same on both sides of the ratio. Each round a probe makes known changes of the same product
alongside the sale: every PROBE_EVERY_S it adds one unit in Redis (stock.add_stock: one Lua
step, as a restock does), noting the clock just before and just after. For each probe and each
viewer, the delay is the arrival of the first event whose read began after the probe's change
(its read_at, the stream server's clock, the same machine's) minus the time just before the
change: an upper bound of the change's way to that viewer, through the keyspace notification,
the coalescing, the read, the push and the client's loop. Reported with it: the delay from the
server's read to the arrival of every event; the stream server's CPU, RSS, reads and the
changes it saw; and what the generators used (wrk's CPU; the viewers' thread's CPU and its
loop's lag, which bounds how late an arrival was timed).
"""

import os
import statistics
import threading
import time

import requests

from busi.adapters import redis_client, stock
from busi.server.stream import raise_open_files_limit
from crash_sim import bench, show, viewers, wrk
from crash_sim.stack import pid

PRODUCT = 999_005
PROBE_EVERY_S = 0.2
STOCK = 10**9


def run(config, client, viewer_count=1000, seconds=8, rounds=2, connections=50):
    raise_open_files_limit()
    server = int(pid("stream"))
    redis = redis_client.connect(config)
    stream_url = f"{config.stream_url}/products/{PRODUCT}/stream"
    yield (
        f"wrk: {connections} connections buying product {PRODUCT} for {seconds} s; {rounds * 2} rounds, "
        f"without viewers and with {viewer_count} (ABBA); a probe adds a unit every {PROBE_EVERY_S} s"
    )
    idle_rss = rss_mb(server)
    loads, seen = {False: [], True: []}, []
    for round_ in range(rounds * 2):
        with_viewers = round_ % 4 in (1, 2)
        bench.reset_for_load(client, "dtm", STOCK, PRODUCT)
        crowd = viewers.Crowd(stream_url, viewer_count) if with_viewers else None
        before = server_state(config, server)
        probes, load = probed(
            redis,
            lambda: wrk.run(
                f"{client.url}/flashSales?product_id={PRODUCT}&user_id=1",
                seconds,
                connections,
                headers=client.header_lines(),
            ),
        )
        after = server_state(config, server)
        loads[with_viewers].append(load)
        yield f"  {'with' if with_viewers else 'without':7} viewers: {load.line()}"
        if crowd:
            seen.append(measure(crowd, probes, before, after, load.wrk_cores))
            crowd.close()
        bench.orders_caught_up(client, "dtm", load.requests - load.non_2xx, PRODUCT)
    yield from report(loads, seen, idle_rss)


def probed(redis, run_load):
    """run_load() while a thread adds a unit every PROBE_EVERY_S: ([(before, after)], its result)."""
    probes, done = [], threading.Event()

    def probe():
        while not done.wait(PROBE_EVERY_S):
            before = time.time()
            stock.add_stock(redis, PRODUCT, 1)
            probes.append((before, time.time()))

    thread = threading.Thread(target=probe)
    thread.start()
    try:
        return probes, run_load()
    finally:
        done.set()
        thread.join()


def measure(crowd, probes, before, after, wrk_cores):
    """The round's figures, once the last probe's events have had time to arrive."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(arrived_after(s, probes[-1][1]) for s in crowd.streams):
        time.sleep(0.1)
    delays, missed = [], 0
    for stream in crowd.streams:
        for start, end in probes:
            arrival = arrived_after(stream, end)
            if arrival is None:
                missed += 1
            else:
                delays.append(arrival - start)
    wall = after["at"] - before["at"]
    return {
        "delays": delays,
        "missed": missed,
        "pushed": [arrival - read_at for stream in crowd.streams for read_at, arrival in stream.arrivals],
        "events": sum(len(stream.arrivals) for stream in crowd.streams),
        "reads": after["reads"] - before["reads"],
        "changes": after["changes"] - before["changes"],
        "wall": wall,
        "server_cores": (after["cpu"] - before["cpu"]) / wall,
        "rss_mb": after["rss"],
        "crowd_cores": crowd.cpu_s() / wall,
        "lag_ms": [lag * 1000 for lag in crowd.lags],
        "wrk_cores": wrk_cores,
    }


def arrived_after(stream, moment):
    """When the first event read after `moment` reached the stream, or None."""
    return next((arrival for read_at, arrival in stream.arrivals if read_at >= moment), None)


def server_state(config, server):
    stats = requests.get(f"{config.stream_url}/streams", timeout=10).json()
    return {**stats, "at": time.time(), "cpu": cpu_s(server), "rss": rss_mb(server)}


def report(loads, seen, idle_rss):
    def ms(values, q):
        return f"{percentile(values, q) * 1000:.0f}"

    rate = {side: statistics.mean(load.rate for load in runs) for side, runs in loads.items()}
    rows = [
        [
            "with viewers" if side else "without",
            *(f"{load.rate:.0f}" for load in runs),
            f"{rate[side]:.0f}",
            f"{statistics.mean(load.p50_ms for load in runs):.0f}",
            f"{max(load.p99_ms for load in runs):.0f}",
            f"{max(load.wrk_cores for load in runs):.0%}",
        ]
        for side, runs in loads.items()
    ]
    runs = [f"run {n + 1}" for n in range(len(loads[False]))]
    yield from show.table_lines(["purchases", *runs, "per s", "p50 ms", "p99 ms", "wrk CPU"], rows)
    yield f"purchase rate with viewers / without: {rate[True] / rate[False]:.2f} (target >= 0.9)"
    delays = [d for round_ in seen for d in round_["delays"]]
    pushed = [d for round_ in seen for d in round_["pushed"]]
    missed = sum(round_["missed"] for round_ in seen)
    yield (
        f"change -> viewer (probes x viewers, {len(delays)} deliveries, {missed} missing): p50 {ms(delays, 50)} ms, "
        f"p99 {ms(delays, 99)} ms, max {max(delays) * 1000:.0f} ms (target p99 < 1000 ms)"
    )
    yield f"server read -> viewer ({len(pushed)} events): p50 {ms(pushed, 50)} ms, p99 {ms(pushed, 99)} ms"
    rows = [
        [
            f"{r['changes'] / r['wall']:.0f}",
            f"{r['reads'] / r['wall']:.1f}",
            f"{r['events'] / r['wall']:.0f}",
            f"{r['server_cores']:.0%}",
            f"{r['rss_mb']:.0f}",
            f"{r['crowd_cores']:.0%}",
            f"{percentile(r['lag_ms'], 99):.1f}",
            f"{max(r['lag_ms']):.1f}",
            f"{r['wrk_cores']:.0%}",
        ]
        for r in seen
    ]
    headers = ["changes/s", "reads/s", "events/s", "server CPU", "server RSS MB", "viewers' CPU", "lag p99 ms"]
    yield from show.table_lines([*headers, "lag max ms", "wrk CPU"], rows)
    yield f"stream server RSS without viewers: {idle_rss:.0f} MB"


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def cpu_s(process):
    """The CPU seconds (user + system) a process has used."""
    with open(f"/proc/{process}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(process):
    with open(f"/proc/{process}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024
