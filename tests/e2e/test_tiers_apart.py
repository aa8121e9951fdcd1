"""bench --rtt (crash_sim/rtt.py): Toxiproxy between the tiers, and the table and chart it makes."""

import statistics
import time

import redis as redis_lib
import requests

from busi.config import RTT_STACK
from busi.domain.strategies import STRATEGIES
from crash_sim import costs, rtt, toxiproxy


def ping_ms(client, times=20):
    """The median round trip of a Redis PING, in ms."""
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        client.ping()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def test_a_latency_toxic_lengthens_every_round_trip_by_the_rtt(apart):
    through_proxy = redis_lib.Redis(port=RTT_STACK["proxies"]["redis"])
    toxiproxy.set_rtt(0)
    baseline = ping_ms(through_proxy)
    toxiproxy.set_rtt(3)
    slowed = ping_ms(through_proxy)
    toxiproxy.reset()
    healed = ping_ms(through_proxy)
    assert 3 <= slowed - baseline < 6, (baseline, slowed)
    assert healed < baseline + 1, (baseline, healed)


def test_bench_rtt_measures_every_strategy_at_each_rtt_and_draws_the_chart(config, apart, tmp_path):
    chart = tmp_path / "tiers-apart.png"
    lines = list(rtt.run(config, [0, 1], seconds=1, chart=chart))
    loads = [line.split() for line in lines if line.startswith("  ") and "/s  p50" in line]
    assert len(loads) == len(STRATEGIES) * 2 * 3  # success and sold out; direct, RTT 0, RTT 1
    for load in loads:
        kind_is_success = "success" in load
        non_2xx = int(load[load.index("non-2xx") + 1])
        assert (non_2xx == 0) if kind_is_success else (non_2xx > 0), load  # sold out answers 409
    table = [line.split() for line in lines if not line.startswith(" ") and line.split()[0] in STRATEGIES]
    assert [(row[0], row[1]) for row in table] == [(s, w) for s in STRATEGIES for w in ("0,", "0", "1")]
    assert sum("through the proxies at RTT 0" in line for line in lines) == len(STRATEGIES)
    assert sum(line.startswith("  dtm success / ") for line in lines) == len(STRATEGIES) - 1
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [proxy["toxics"] for proxy in toxiproxy_proxies().values()] == [[]] * len(RTT_STACK["proxies"])


def toxiproxy_proxies():
    return requests.get(f"{toxiproxy.API}/proxies", timeout=5).json()


def test_bench_costs_reads_each_store_s_counters_per_buyer(config, apart):
    lines = list(costs.run(config, rtts=(0,), buyers=400, units=20, refused_buyers=400))
    table = {line.split()[0]: dict(zip(costs.HEADERS, line.split(), strict=True)) for line in lines if is_row(line)}
    assert set(table) == set(STRATEGIES)
    for strategy, row in table.items():
        if strategy != "naive":  # naive's oversell is a race it usually wins
            assert (row["oversold"], row["lost"]) == ("0", "0"), row
        assert float(row["DTM trans"]) > 0 if strategy == "dtm" else float(row["DTM trans"]) == 0, row
        # Each outcome timed apart: 20 winners and 380 refused, every answer a few ms at least.
        assert all(float(row[f"{outcome} {p}"]) > 0 for outcome in ("won", "refused") for p in ("p50", "p99")), row
    # Twenty units, twenty orders: one global transaction a unit, and one for each buyer who
    # read a last unit that another took first (prepared, then aborted). Per answer: the rush
    # stops at the 400th, and the requests still in flight on its 200 connections are answered too.
    assert 20 / (400 + costs.CONNECTIONS) <= float(table["dtm"]["DTM trans"]) < 0.5
    refused = dict(cell.split() for cell in lines[-1].split(": ", 1)[1].split(", "))
    # dtm refuses from Redis. Not exactly 0: an earlier test's order may expire meanwhile.
    assert float(refused["dtm"]) < 0.05 and float(refused["rowlock"]) >= 3, lines[-1]


def is_row(line):
    return not line.startswith(" ") and line.split()[:1] != [] and line.split()[0] in STRATEGIES
