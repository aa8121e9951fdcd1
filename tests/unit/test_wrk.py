"""Reading wrk's report, and stopping a wrk whose main thread is not listening yet."""

import subprocess
import sys

from crash_sim.wrk import interrupt, parse

# As wrk's main thread: SIGINT ignored while it starts its threads, then a handler that only
# ends a long sleep; the summary after it.
LATE_HANDLER = """
import signal, time
class Woken(Exception): pass
def wake(*_): raise Woken  # as SIGINT ends wrk's sleep() (Python would sleep on after a handler)
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("rush done", flush=True)
time.sleep(1)
signal.signal(signal.SIGINT, wake)
try:
    time.sleep(600)
except Woken:
    print("summary")
"""

REPORT = """Running 8s test @ http://127.0.0.1:8081/api/busi/flashSales?user_id=1
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   189.72ms   60.10ms 432.17ms   70.00%
  Latency Distribution
     50%  189.72ms
     75%  220.00ms
     90%  300.00ms
     99%    1.20s
  603 requests in 8.00s, 120.00KB read
  Non-2xx or 3xx responses: 3
Requests/sec:     75.35
Transfer/sec:     15.00KB
"""


def test_rate_percentiles_and_errors():
    load = parse(REPORT, wrk_cores=0.02)
    assert (load.rate, load.p50_ms, load.p99_ms, load.non_2xx, load.requests) == (75.35, 189.72, 1200.0, 3, 603)
    assert "p99 1200.0 ms" in load.line() and "wrk used 2% of a core" in load.line()


def test_microseconds_and_no_errors():
    load = parse(REPORT.replace("189.72ms", "850.00us").replace("  Non-2xx or 3xx responses: 3\n", ""))
    assert load.p50_ms == 0.85 and load.non_2xx == 0


def test_interrupt_signals_until_wrk_listens_and_returns_its_summary():
    process = subprocess.Popen([sys.executable, "-c", LATE_HANDLER], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "rush done\n"  # its first SIGINTs come while it ignores them
    assert interrupt(process, deadline_s=30) == "summary\n"
    assert process.returncode == 0
