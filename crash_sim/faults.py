"""python -m crash_sim faults: the promise, under the faults that really happen.

Each row is one sale of a fresh product: STOCK units, BUYERS shoppers arriving
ARRIVALS_PER_S a second, up to CONCURRENCY at a time (crowd.py), and one fault, injected
once a quarter of the stock is sold (half, after the restock, for a fault that stalls every
purchase); the row says how many units were sold when it hit.
Then the auditor (audit.py) waits until DTM has finished every transaction of the sale and
checks, from the stores themselves, that the promise held. Crash points, kills and stops are
here; the network's faults, a toxic on one link between tiers, in network_faults.py.
"""

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from busi.adapters import redis_client
from busi.adapters.orders import make_engine
from busi.adapters.stock import stock_key
from busi.config import API_PREFIX, RTT_STACK
from busi.scenarios import dtm_records
from busi.scenarios.client import MIXED_QUANTITIES, UNPAID_FOR_S, operator_client
from crash_sim import audit, stack, toxiproxy
from crash_sim.crowd import Crowd
from crash_sim.fault import Fault, Sale
from crash_sim.ha_network_faults import HA_NETWORK_FAULTS, HA_PROXIES
from crash_sim.network_faults import NETWORK_FAULTS
from crash_sim.sale import restock_once
from saga import DtmClient

BUYERS, CONCURRENCY, STOCK = 200, 24, 60
RESTOCK = 10  # units the operator adds once half the stock has sold, the fault on or not
# The 60 units sell over 4 s, the 200 shoppers over 13 s: the fault (at a quarter of the
# stock) lands while units remain even when taking a server down takes a second or two; buyers
# who come after the last unit are answered by Redis alone, so a fault after it goes unseen.
# A service that fell behind its shoppers sells a backlog in a burst, hence the early trigger.
ARRIVALS_PER_S = 15
CRASHES = 3  # crash purchases armed by a crash-point row
# Each user shops twice, for 1+1 then 2+3 units (MIXED_QUANTITIES), under a limit of 3: every
# other user's second purchase must be refused, crash or not (the auditor's over_limit).
SHOPPERS_PER_USER, LIMIT_PER_BUYER = 2, 3
CROWD_DEADLINE_S = 120  # a shopper gives up after this
SETTLE_DEADLINE_S = 120  # DTM must have finished the sale this long after its last shopper
POLL_S = 0.2


def crash_point(key, label):
    """A row whose fault is CRASHES purchases dying at the crash point `key`."""

    def inject(sale):
        sale.crowd.arm(key, CRASHES)
        return sale.crowd.sold

    return Fault(key, label, inject)


def outage(key, label, take_down, server, seconds):
    """A row whose fault is a server taken down (stack.kill or stack.stop), then started
    again `seconds` later through scripts/stack.sh."""
    return Fault(key, label, lambda sale: _down_then_up(sale, take_down, server, seconds), server)


def _down_then_up(sale, take_down, server, seconds):
    """Take the server down, start it again `seconds` later; the units sold when it went down."""
    take_down(server)
    hit_at = sale.crowd.sold
    time.sleep(seconds)  # the outage itself, not a wait for a condition
    stack.start(server)
    return hit_at


FAULTS = [
    crash_point("after_prepare", "purchase dies after prepare"),
    crash_point("after_deduct", "purchase dies after the deduction"),
    crash_point("after_submit", "purchase dies after submit"),
    crash_point("after_order_commit", "createOrder dies after its commit"),
    outage("redis_kill", "Redis SIGKILL, back 2 s later", stack.kill, "redis", 2),
    outage("mysql_kill", "MariaDB SIGKILL, back 2 s later", stack.kill, "mysql", 2),
    outage("mysql_stop", "MariaDB stopped for 20 s", stack.stop, "mysql", 20),
    outage("dtm_kill", "DTM SIGKILL, back 2 s later", stack.kill, "dtm", 2),
    outage("busi_kill", "gunicorn master SIGKILL, restarted", stack.kill, "busi", 0),
    *NETWORK_FAULTS,
]


def shard_outage(key, label, seconds, own=True):
    """A row whose fault is one Redis Cluster master SIGKILLed (the HA stack), then started
    again: the shard holding the sale's product (own), or another one."""

    def inject(sale):
        return _down_then_up(sale, stack.kill, stack.redis_shard(stock_key(sale.product), own), seconds)

    return Fault(key, label, inject, "redis")


# On the HA stack (HA=1, scripts/ha.sh): one of many fails, the others carry on.
HA_FAULTS = [
    outage("dtm_one_kill", "one of two DTM servers SIGKILL, back 2 s later", stack.kill, "dtm-1", 2),
    outage("busi_one_kill", "one of two services SIGKILL, restarted", stack.kill, "busi-1", 0),
    shard_outage("redis_shard_kill", "the product's Redis shard SIGKILL, back 2 s later", 2),
    shard_outage("redis_other_shard_kill", "another Redis shard SIGKILL, back 2 s later", 2, own=False),
    *HA_NETWORK_FAULTS,
]
BY_KEY = {fault.key: fault for fault in FAULTS + HA_FAULTS}
HEADERS = [
    "fault",
    "buyers",
    "stock+restocked",
    "sold when it hit",
    "200s",
    "orders",
    "units ordered",
    "stock left",
    "duplicates",
    "held",
    "recovered in",
    "buyers with an error",
    "retried",
    "fault seen",
]


@dataclass
class Row:
    fault: Fault
    buyers: int
    stock: int
    audit: audit.Audit
    errored: int  # buyers who got an error (or a dropped connection) at least once
    retried: int  # purchase attempts that failed (error, dropped or refused connection) and were tried again
    sold_at_fault: int  # units sold when the fault hit: a fault after the last unit tests nothing
    seen: str | None = None  # the fault's witness: what shows it happened ("" nothing; None: not asked)
    own_problems: list = field(default_factory=list)  # the row's own checks beyond the auditor's (money)

    def problems(self):
        return self.audit.problems() + self.own_problems

    @property
    def held(self):
        return not self.problems()

    def cells(self):
        a = self.audit
        return [
            self.fault.label,
            self.buyers,
            f"{self.stock}+{a.added - self.stock}",
            self.sold_at_fault,
            len(a.bought),
            a.orders,
            a.units_ordered,
            "gone" if a.stock_left is None else a.stock_left,
            a.duplicates,
            "held" if self.held else "BROKEN",
            f"{a.slowest_s:.1f} s",
            self.errored,
            self.retried,
            "-" if self.seen is None else self.seen or "NOT SEEN",
        ]


class Matrix:
    """The clients of the auditor and the crowd, set up once for every row."""

    def __init__(self, config, buyers=BUYERS, stock=STOCK, concurrency=CONCURRENCY):
        self.config = config
        self.buyers, self.stock, self.concurrency = buyers, stock, concurrency
        self.busi = operator_client(config)
        self.redis = redis_client.connect(config)
        self.mysql = make_engine(config.mysql_url, pool_size=2)
        self.dtm = DtmClient(config.dtm_url)
        # The service behind Toxiproxy, started for the first network row.
        self._apart = operator_client(config, f"http://127.0.0.1:{RTT_STACK['busi_port']}{API_PREFIX}")
        self._apart_branches = None  # its rtt-up argument, once started

    def runnable(self, fault):
        """Whether this stack started the server the fault needs (not one named by a URL);
        a network row needs its stack's proxies (scripts/stack.sh rtt-up, or ha-links-up)."""
        if fault.link:
            return self.config.ha == (fault.link in HA_PROXIES)
        tier = fault.server.split("-")[0]  # dtm-1 is one of the dtm servers
        return not tier or tier == "busi" or getattr(self.config, f"local_{tier}")

    def service(self, fault):
        """(the operator's client of the service the sale goes to, that service's log: on the
        HA stack, busi-1's, the instance a fault hits)."""
        if self.config.ha:
            if fault.link:
                stack.stack("ha-links-up")
                toxiproxy.reset()
            return self.busi, Path(self.config.run_dir) / "busi-1" / "busi.log"
        if not fault.link:
            return self.busi, Path(self.config.run_dir) / "busi" / "busi.log"
        branches = ("main",) if fault.branches_on_main else ()
        if self._apart_branches != branches:  # started, or restarted to call other branches
            stack.stack("rtt-up", *branches)
            toxiproxy.reset()  # no toxic left over from a run that was stopped midway
            self._apart_branches = branches
        return self._apart, Path(self.config.run_dir) / "busi-rtt" / "busi.log"

    def run(self, fault, settle_deadline_s=SETTLE_DEADLINE_S):
        product, began = self._fresh_product(), time.time()
        busi, service_log = self.service(fault)
        busi.reset(self.stock, product, pay_within_s=UNPAID_FOR_S, limit_per_buyer=LIMIT_PER_BUYER)
        crowd = Crowd(
            busi,
            product,
            self.buyers,
            self.concurrency,
            ARRIVALS_PER_S,
            CROWD_DEADLINE_S,
            quantities=MIXED_QUANTITIES,
            shoppers_per_user=SHOPPERS_PER_USER,
        )
        restock_at = self.stock // 2
        crowd.on_sold.append((restock_at, lambda: restock_once(busi, product, RESTOCK)))
        sale = Sale(crowd, product, self.mysql, self.dtm, service_log, self.config.redis_url)
        # At the same count, the injector's callback runs once the restock's has returned.
        injector = _Injector(fault, sale, sold=restock_at if fault.after_restock else max(1, self.stock // 4))
        with audit.StockWatcher(self.redis, product) as watcher:
            injector.start()
            sale.outcomes = crowd.run()
            injector.join()
        stack.wait_healthy(busi.url)
        bought = {o.gid for o in sale.outcomes if o.status == 200}
        refused = {o.gid for o in sale.outcomes if o.status == 409}
        sale.audit = self._settle(product, began, watcher, bought, refused, settle_deadline_s)
        errored = sum(1 for o in sale.outcomes if o.attempts > 1)
        retried = sum(o.attempts - 1 for o in sale.outcomes)
        seen = fault.witness(sale) if fault.witness else None
        return Row(
            fault, self.buyers, self.stock, sale.audit, errored, retried, injector.sold_at_fault, seen, sale.problems
        )

    def _settle(self, product, began, watcher, bought, refused, deadline_s):
        """Poll the stores until the promise holds, or the deadline; the last audit."""
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                result = audit.read(
                    self.redis,
                    self.mysql,
                    self.dtm,
                    product,
                    self.stock,
                    watcher.lowest if watcher.lowest is not None else 0,
                    bought,
                    refused,
                    began,
                )
                if not result.problems() or time.monotonic() >= deadline:
                    return result
            except Exception:  # noqa: BLE001 - a store still coming back; ask again
                if time.monotonic() >= deadline:
                    raise
            time.sleep(POLL_S)

    def _fresh_product(self):
        """A product id that no earlier sale used, in Redis or in DTM's store."""
        while True:
            product = random.randrange(10**8, 10**9)
            if self.redis.get(stock_key(product)) is not None:
                continue
            # DTM's SQL store lists newest first: a day back is as far as it keeps finished ones.
            if not dtm_records.dtm_transactions(self.dtm, product, since_s=time.time() - 86400):
                return product


class _Injector(threading.Thread):
    """Injects the fault once the crowd has bought `sold` units; join() raises what it raised."""

    def __init__(self, fault, sale, sold):
        super().__init__(daemon=True)
        self.fault, self.sale = fault, sale
        self.reached = threading.Event()
        sale.crowd.on_sold.append((sold, self.reached.set))
        self.error = None
        self.sold_at_fault = None

    def run(self):
        if not self.reached.wait(CROWD_DEADLINE_S):
            self.error = RuntimeError("the sale never sold enough to inject the fault: is the service up?")
            return
        try:
            self.sold_at_fault = self.fault.inject(self.sale)
        except Exception as err:  # noqa: BLE001 - handed to join()
            self.error = err

    def join(self, timeout=None):
        super().join(timeout)
        if self.error:
            raise self.error
