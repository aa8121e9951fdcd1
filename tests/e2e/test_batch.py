"""The batch simulation: the same lines, run after run."""

import re
import subprocess
import sys

import pytest

from crash_sim.bench import run_bench

EXPECTED = [
    "reset product 1: stock 4, orders 0",
    "one purchase crashed: its worker died after the stock deduction, before submit",
    "10 purchases answered: 3 bought, 7 sold out",
    "normally created 3 orders",
    "waiting for DTM's back-query to create the crashed purchase's order",
    "total order created is: 3",
    "total order created is: 4",
    "stock left 0 + orders 4 = 4 units: every unit deducted became exactly one order",
]


def test_batch_endpoint_five_times_in_a_row(busi):
    for run in range(5):
        response = busi.get("flashSales-batch")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        assert response.text.splitlines() == EXPECTED, f"run {run + 1}"


def test_batch_command_from_outside(config):
    result = subprocess.run(
        [sys.executable, "-m", "crash_sim", "batch", "--url", config.busi_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == EXPECTED
    elapsed = [float(line[1:].split("s]")[0]) for line in lines]
    assert elapsed == sorted(elapsed) and elapsed[-1] >= 3  # the back-query comes 3 s after the crash at the earliest


def test_bench_measures_every_load_and_prints_the_four_ratios(config, busi):
    lines = list(
        run_bench(
            busi,
            config.dtm_url,
            config.redis_url,
            ("ratios", "dtm"),
            pairs=5,
            ratio_seconds=1,
            ratio_rounds=1,
        )
    )
    loads = {line.split("  ")[0]: line.split() for line in lines if line.split("  ")[0] in LOADS}
    assert set(loads) == LOADS
    for name in LOADS - {"rowlock sold out", "dtm sold out"}:  # these answer 409, on purpose
        assert loads[name][-2] == "0", f"{name}: {loads[name]}"
    figures = [FIGURE.match(line).groups() for line in lines if ">= " in line]
    assert len(figures) == 4
    for _, ratio, target, verdict in figures:
        assert float(ratio) > 0 and verdict == ("met" if float(ratio) >= float(target) else "NOT met")
    assert lines[-1].startswith("  pooled / per call: ")


FIGURE = re.compile(r"^(.+?)\s{2,}([0-9.]+)\s+>= ([0-9.]+)\s+(met|NOT met)$")
LOADS = {
    "wrk ceiling (DTM /api/ping)",
    "trivial /ping",
    "GET /stock",
    "rowlock sold out",
    "dtm sold out",
    "rowlock success",
    "dtm success",
    "bare DTM msg",
}


def test_bench_fsync_measures_both_modes_and_restores_always(config, busi, redis):
    if config.ha:
        pytest.skip("the cost of fsync on the single Redis; docs/scale.md measures a shard")
    lines = list(run_bench(busi, config.dtm_url, config.redis_url, ("fsync",), fsync_seconds=1, fsync_rounds=1))
    assert [line.split()[1] for line in lines[1:3]] == ["always", "everysec"]
    assert all("non-2xx 0" in line for line in lines[1:3])  # every request of the success path bought
    assert "always / everysec, pair by pair: " in lines[3] and lines[4].startswith("Redis alone")
    assert redis.config_get("appendfsync") == {"appendfsync": "always"}
