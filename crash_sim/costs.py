"""python -m crash_sim bench --only costs: what one buyer costs the stores every server shares.

For each strategy, a rush of BUYERS buyers for UNITS units (wrk, crash_sim/rush.lua), at each
RTT between the tiers (the second service behind Toxiproxy, as bench --rtt), read from the
servers' own counters before and after: MariaDB's Questions and CPU, Redis's commands and CPU,
DTM's global transactions and CPU, the service's CPU. The rush ends when every buyer has an
answer and, for dtm, every unit sold has its order (which DTM creates after the answer).
"""

import os
import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from busi.adapters import redis_client
from busi.adapters.orders import make_engine
from busi.config import API_PREFIX, REPO_DIR, RTT_STACK
from busi.domain.strategies import STRATEGIES
from busi.scenarios.client import operator_client
from busi.scenarios.dtm_records import dtm_transactions
from crash_sim import bench, show, toxiproxy, wrk
from saga import DtmClient

BUYERS = 20_000
UNITS = 100
CONNECTIONS = 200  # each on its own wrk thread (rush.lua times each answer by its outcome)
RUSH = Path(__file__).with_name("rush.lua")
RUSH_DEADLINE_S = 600
HZ = os.sysconf("SC_CLK_TCK")


@dataclass
class Counters:
    mysql_statements: int
    mysql_cpu_s: float
    redis_commands: int
    redis_cpu_s: float
    dtm_cpu_s: float
    service_cpu_s: float


def run(config, rtts=(0, 1), buyers=BUYERS, units=UNITS, connections=CONNECTIONS, refused_buyers=2000):
    subprocess.run(["bash", "scripts/stack.sh", "rtt-up"], cwd=REPO_DIR, check=True, stdout=subprocess.DEVNULL)
    client = operator_client(config, f"http://127.0.0.1:{RTT_STACK['busi_port']}{API_PREFIX}")
    stores = Stores(config)
    yield f"a rush of {buyers} buyers for {units} units, wrk {connections} connections, per strategy and RTT"
    rows = []
    try:
        for rtt in rtts:
            toxiproxy.set_rtt(rtt)
            for strategy in STRATEGIES:
                row, wrk_cores = rush(client, stores, strategy, rtt, buyers, units, connections)
                yield f"  RTT {rtt} ms {strategy:9} {row[2]} s, wrk used {wrk_cores:.0%} of a core"
                rows.append(row)
        toxiproxy.reset()
        yield from show.table_lines(HEADERS, rows)
        yield "(per buyer: each counter's growth over the rush divided by the buyers; CPU in ms)"
        yield from refused_only(client, stores, refused_buyers)
    finally:
        toxiproxy.reset()
        stores.dispose()


HEADERS = [
    "strategy",
    "RTT ms",
    "seconds",
    "won p50",
    "won p99",
    "refused p50",
    "refused p99",
    "MySQL stmts",
    "MySQL CPU",
    "Redis cmds",
    "Redis CPU",
    "DTM trans",
    "DTM CPU",
    "service CPU",
    "oversold",
    "lost",
]


def refused_only(client, stores, buyers):
    """MySQL statements per refused buyer: a rush for a product with no stock, at RTT 0."""
    cells = []
    for strategy in STRATEGIES:
        row, _ = rush(client, stores, strategy, 0, buyers, 0, CONNECTIONS)
        cells.append(f"{strategy} {row[HEADERS.index('MySQL stmts')]}")
    yield f"MySQL statements per refused buyer ({buyers} buyers, no stock): {', '.join(cells)}"


def rush(client, stores, strategy, rtt, buyers, units, connections):
    """One rush: its table row, and the cores wrk used meanwhile."""
    product = 900_000_000 + uuid.uuid4().int % 90_000_000  # its own: DTM's list is read by product
    bench.reset_for_load(client, strategy, units, product)
    before = stores.counters()
    answered, bought, seconds, latency, wrk_cores = run_rush(client, strategy, product, buyers, connections)
    if bought:
        bench.orders_caught_up(client, strategy, bought, product)
    grown = stores.growth(before, stores.counters())
    left = client.stock(product, strategy)
    orders = client.order_count(product, strategy)
    trans = len(dtm_transactions(stores.dtm, product)) if strategy == "dtm" else 0

    def per_buyer(name, scale=1):
        return f"{getattr(grown, name) * scale / answered:.3f}"

    return [
        strategy,
        rtt,
        f"{seconds:.1f}",
        *(f"{ms:.0f}" for ms in latency),
        per_buyer("mysql_statements"),
        per_buyer("mysql_cpu_s", 1000),
        per_buyer("redis_commands"),
        per_buyer("redis_cpu_s", 1000),
        f"{trans / answered:.3f}",
        per_buyer("dtm_cpu_s", 1000),
        per_buyer("service_cpu_s", 1000),
        max(0, orders - units) + max(0, -left),  # orders beyond the stock, or stock below zero
        max(0, units - left - orders),  # units deducted that never became an order
    ], wrk_cores


def run_rush(client, strategy, product, buyers, connections):
    """wrk until every buyer has an answer: (answered, bought, seconds, (won p50, won p99,
    refused p50, refused p99) in ms, the cores wrk used)."""
    url = f"{client.url}/flashSales?strategy={strategy}&product_id={product}&user_id=1"
    command = wrk.command(
        url, RUSH_DEADLINE_S, connections, connections, RUSH, [str(buyers), str(connections)], client.header_lines()
    )
    started = wrk.children_clock()
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as rusher:
        for line in rusher.stdout:  # the first thread to see every buyer answered says so
            if line.strip() == "rush done":
                break
        # At once: wrk's main thread would sleep out its whole duration, and the threads already
        # stopped hold connections that sync workers wait on.
        output = wrk.interrupt(rusher)
    wrk_cores = wrk.cores_since(started)
    answered, bought, seconds = RUSH_SUMMARY.search(output).groups()
    latency = tuple(float(ms) for ms in RUSH_LATENCY.search(output).groups())
    return int(answered), int(bought), float(seconds), latency, wrk_cores


# rush.lua's done()
RUSH_SUMMARY = re.compile(r"^rush: (\d+) answered, (\d+) bought, in ([0-9.]+) s$", re.M)
RUSH_LATENCY = re.compile(r"^latency ms: won p50 ([0-9.]+) p99 ([0-9.]+), refused p50 ([0-9.]+) p99 ([0-9.]+)$", re.M)


class Stores:
    """The shared servers' own counters, read directly (not through the proxies)."""

    def __init__(self, config):
        self.mysql = make_engine(config.mysql_url, pool_size=1)
        self.redis = redis_client.connect(config)
        self.dtm = DtmClient(config.dtm_url)
        run = Path(config.run_dir)
        self.pids = {"mysql": run / "mysql" / "mysqld.pid", "dtm": run / "dtm" / "dtm.pid"}
        self.service_group = run / "busi-rtt" / "gunicorn.pgid"
        # MariaDB counts its own SHOW STATUS among the Questions: what one reading adds.
        self.own_statements = -(self.counters().mysql_statements - self.counters().mysql_statements)

    def growth(self, before, after):
        """after - before, counter by counter, less the statements that reading them adds."""
        grown = {name: getattr(after, name) - value for name, value in before.__dict__.items()}
        return Counters(**{**grown, "mysql_statements": grown["mysql_statements"] - self.own_statements})

    def counters(self):
        with self.mysql.connect() as conn:
            questions = conn.execute(text("SHOW GLOBAL STATUS LIKE 'Questions'")).one()[1]
        stats, cpu = self.redis.info("stats"), self.redis.info("cpu")
        return Counters(
            mysql_statements=int(questions),
            mysql_cpu_s=cpu_s([int(self.pids["mysql"].read_text())]),
            redis_commands=stats["total_commands_processed"],
            redis_cpu_s=cpu["used_cpu_user"] + cpu["used_cpu_sys"],
            dtm_cpu_s=cpu_s([int(self.pids["dtm"].read_text())]),
            service_cpu_s=cpu_s(group_pids(int(self.service_group.read_text()))),
        )

    def dispose(self):
        self.mysql.dispose()


def cpu_s(pids):
    """User and system CPU seconds the processes have used (children they waited for included)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # gone meanwhile (a worker restarted)
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / HZ


def group_pids(pgid):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(entry))
            except FileNotFoundError:  # gone meanwhile
                continue
    return pids
