"""The batch simulation: the same lines, run after run."""
import subprocess
import sys

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
    result = subprocess.run([sys.executable, "-m", "crash_sim", "batch", "--url", config.busi_url],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == EXPECTED
    elapsed = [float(line[1:].split("s]")[0]) for line in lines]
    assert elapsed == sorted(elapsed) and elapsed[-1] >= 3  # the back-query comes 3 s after the crash at the earliest


def test_bench_runs_and_counts_both_paths(config):
    lines = list(run_bench(config.busi_url, config.dtm_url, config.redis_url, ("paths", "dtm"),
                           buyers=20, concurrency=4, pairs=5))
    assert "(20 bought, 0 sold out)" in lines[1] and "(0 bought, 20 sold out)" in lines[2]
    assert lines[-1].startswith("  pooled / per call: ")


def test_bench_fsync_measures_both_modes_and_restores_always(config, redis):
    lines = list(run_bench(config.busi_url, config.dtm_url, config.redis_url, ("fsync",),
                           fsync_seconds=1, fsync_rounds=1))
    assert [line.split()[1] for line in lines[1:3]] == ["always", "everysec"]
    assert all("non-2xx 0" in line for line in lines[1:3])  # every request of the success path bought
    assert "always / everysec, pair by pair: " in lines[3] and lines[4].startswith("Redis alone")
    assert redis.config_get("appendfsync") == {"appendfsync": "always"}
