"""python -m crash_sim chaos --minutes M --seed S: a sale that goes on for M minutes while a
nemesis, drawn from the seed, breaks the stack at random (docs/fault-matrix.md, "Chaos").

Sales follow one another, SLOTS at a time, each a fresh product: a crowd buys, restocked
halfway; of the buyers who got a unit some pay, some pay with too little, some never pay and
their orders expire. Meanwhile the nemesis draws one or two faults at a time from the catalogue (crash points,
process kills and stops, a toxic on a link), each healed after a random while. Its draws
come from the seed alone, so a run's schedule is reproducible; the moments it lands in the
sales are not. At the end every fault is healed, DTM finishes every transaction, and each
product is audited: the fault matrix's invariants and sale's money, against its ledger of
units added.
"""

import random
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

from busi.adapters import redis_client
from busi.adapters.orders import make_engine
from busi.config import API_PREFIX, RTT_STACK
from busi.domain.crash_points import POINTS
from busi.scenarios import wait
from busi.scenarios.client import MIXED_QUANTITIES, operator_client
from crash_sim import audit, stack, toxiproxy
from crash_sim.crowd import Crowd
from crash_sim.ha_network_faults import BUSI_1_REDIS, DTM_1_STORE
from crash_sim.sale import OPENING, PRICE, read_sheet, restock_once, settled
from crash_sim.toxiproxy import REPLIES, REQUESTS, SILENT, Toxic
from saga import DtmClient

SLOTS = 2  # sales at once
BUYERS, STOCK, CONCURRENCY, ARRIVALS_PER_S = 60, 20, 8, 20
RESTOCK = 5  # units added once half the stock has sold, while the crowd still buys
PAY, SHORT = 0.6, 0.1  # shares of the winners who pay, and who pay with too little
PAY_WITHIN_S = 10  # the unpaid expire within the run
CROWD_DEADLINE_S = 90
SETTLE_DEADLINE_S = 240  # after the last fault: DTM retries createOrder 8, 16, 32, 64 s apart
QUIET_S = (2.0, 8.0)  # the nemesis's pause between faults
LASTS_S = (1.0, 8.0)  # how long a fault stays on
KILLED = ("redis", "mysql", "dtm")
# What a toxic may act on, and the proxies it is put on: on the single stack one link between
# tiers; on the HA stack dtm-1's link to the store, or busi-1's to every Redis shard.
LINKS = {link: (link,) for link in ("redis", "mysql", "dtm", "busi")}
HA_LINKS = {"dtm-1-store": (DTM_1_STORE,), "busi-1-redis": BUSI_1_REDIS}


@dataclass
class Drawn:
    """One fault of the schedule: what it is, and what it acts on (two at once never share one)."""

    kind: str
    target: str
    lasts_s: float
    detail: dict = field(default_factory=dict)

    @property
    def label(self):
        if self.kind == "crash":
            return f"a purchase dies at {self.detail['at']}"
        if self.kind == "pay_crash":
            return "a payment dies after its charge"
        if self.kind != "toxic":
            return f"{self.kind} {self.target}, back after {self.lasts_s:.1f} s"
        what = f"{self.detail['toxic']} {self.detail.get('ms', '')}".strip()
        stream = {REPLIES: "answers", REQUESTS: "requests"}[self.detail["stream"]]
        return f"{what} on {self.target}'s {stream} for {self.lasts_s:.1f} s"


def draw(rng, ha):
    """The next fault, from rng alone."""
    kinds = ["crash", "kill", "mysql_stop", "pay_crash"] + ["toxic"] * 3
    kind, lasts = rng.choice(kinds), round(rng.uniform(*LASTS_S), 1)
    if kind == "crash":
        return Drawn(kind, "purchase", 0.0, {"at": rng.choice(sorted(POINTS))})
    if kind == "pay_crash":
        return Drawn(kind, "payment", 0.0)
    if kind == "mysql_stop":
        return Drawn(kind, "mysql", lasts)
    if kind == "kill":
        return Drawn(kind, rng.choice(("dtm-1", "busi-1") if ha else KILLED), lasts)
    toxic = rng.choice(("timeout", "latency", "reset_peer"))
    detail = {"toxic": toxic, "stream": rng.choice((REPLIES, REQUESTS))}
    if toxic == "latency":
        detail["ms"] = rng.choice((200, 1000, 4500))
    return Drawn(kind, rng.choice(tuple(HA_LINKS if ha else LINKS)), lasts, detail)


def schedule(seed, ha, count):
    """The first `count` faults a run with this seed draws: what the tests compare runs by."""
    rng = random.Random(seed)
    return [_next(rng, ha) for _ in range(count)]


def _next(rng, ha):
    """(pause before, one or two faults with different targets)."""
    pause, first = round(rng.uniform(*QUIET_S), 1), draw(rng, ha)
    faults = [first]
    if rng.random() < 0.3:
        second = draw(rng, ha)
        if second.target != first.target and {first.kind, second.kind} != {"kill", "mysql_stop"}:
            faults.append(second)
    return pause, faults


@dataclass
class Product:
    id: int
    began: float
    ended: float = 0.0
    crowd: Crowd = None
    watcher: audit.StockWatcher = None
    bought: set = field(default_factory=set)
    refused: set = field(default_factory=set)
    start: dict = field(default_factory=dict)  # user -> the balance their wallet was set to


class Chaos:
    def __init__(self, config, minutes, seed, say=print):
        self.config, self.seed, self.say = config, seed, say
        self.ends = time.monotonic() + minutes * 60
        self.rng = random.Random(seed)
        self.redis = redis_client.connect(config)
        self.mysql = make_engine(config.mysql_url, pool_size=2)
        self.dtm = DtmClient(config.dtm_url)
        if config.ha:  # dtm-1's and busi-1's links through Toxiproxy
            stack.stack("ha-links-up")
            self.busi = operator_client(config)
        else:  # every link through Toxiproxy
            stack.stack("rtt-up")
            self.busi = operator_client(config, f"http://127.0.0.1:{RTT_STACK['busi_port']}{API_PREFIX}")
        toxiproxy.reset()
        self.products, self.injected = [], []  # injected: (began, ended, Drawn)
        self.pay_crashes = 0
        self._lock = threading.Lock()
        self._next_user = 10**6 + int(time.time()) % 10**6 * 1000  # buyers no earlier run had

    def run(self):
        """The sale and the nemesis until the time is up; then heal, settle, audit. The Verdict."""
        slots = [threading.Thread(target=self._sell, daemon=True) for _ in range(SLOTS)]
        for slot in slots:
            slot.start()
        self._nemesis()
        for slot in slots:
            slot.join()
        toxiproxy.reset()
        stack.wait_healthy(self.busi.url)
        self.say("every fault healed; waiting for DTM to finish every transaction, every order paid or cancelled")
        return self._audit()

    # The nemesis

    def _nemesis(self):
        while time.monotonic() < self.ends:
            pause, faults = _next(self.rng, self.config.ha)
            time.sleep(min(pause, max(0.0, self.ends - time.monotonic())))  # the schedule's pause
            if time.monotonic() >= self.ends:
                return
            threads = [threading.Thread(target=self._inject, args=(fault,)) for fault in faults]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

    def _inject(self, fault):
        began = time.time()
        self.say(f"nemesis: {fault.label}")
        if fault.kind == "crash":
            for product in self.products[-SLOTS:]:
                product.crowd.arm(fault.detail["at"])
        elif fault.kind == "pay_crash":
            with self._lock:
                self.pay_crashes += 1
        elif fault.kind in ("kill", "mysql_stop"):
            (stack.kill if fault.kind == "kill" else stack.stop)(fault.target)
            time.sleep(fault.lasts_s)  # the outage itself
            stack.start(fault.target)
        else:
            kind = fault.detail["toxic"]
            attributes = {"latency": {"latency": fault.detail.get("ms")}, "timeout": SILENT}.get(kind, {"timeout": 0})
            with ExitStack() as on:
                for link in {**LINKS, **HA_LINKS}[fault.target]:
                    on.enter_context(Toxic(link, kind, fault.detail["stream"], attributes, 0).on())
                time.sleep(fault.lasts_s)  # the fault's while
        self.injected.append((began, time.time(), fault))

    # The sale

    def _sell(self):
        while time.monotonic() < self.ends:
            try:
                self._one_sale()
            except Exception as err:  # noqa: BLE001 - a store down under the nemesis; the next sale
                self.say(f"a sale's set-up or payments failed ({err}); the next one")
                time.sleep(1)

    def _one_sale(self):
        made = self.busi.post(
            "products", name=f"chaos {self.seed}", price=str(PRICE), stock=STOCK, pay_within_s=PAY_WITHIN_S
        )
        made.raise_for_status()
        product = Product(made.json()["id"], time.time())
        with self._lock:
            first_user, self._next_user = self._next_user, self._next_user + BUYERS
        product.crowd = Crowd(
            self.busi,
            product.id,
            BUYERS,
            CONCURRENCY,
            ARRIVALS_PER_S,
            CROWD_DEADLINE_S,
            first_user,
            quantities=MIXED_QUANTITIES,
        )
        product.crowd.on_sold.append((STOCK // 2, lambda: restock_once(self.busi, product.id, RESTOCK)))
        self.products.append(product)
        with audit.StockWatcher(self.redis, product.id) as product.watcher:
            outcomes = product.crowd.run()
        product.bought = {o.gid for o in outcomes if o.status == 200}
        product.refused = {o.gid for o in outcomes if o.status == 409}
        winners = [(o.user_id, o.gid) for o in outcomes if o.status == 200]
        random.Random(product.id).shuffle(winners)
        payers = winners[: round(PAY * len(winners))]
        shorts = winners[len(payers) : len(payers) + round(SHORT * len(winners))]
        short = {user for user, _ in shorts}
        for user, _ in winners:  # a wallet is set before its buyer pays, or never changes
            product.start[user] = PRICE - 1 if user in short else OPENING
            self._until_answered("wallet", user_id=user, balance=str(product.start[user]))
        for _, gid in payers + shorts:
            with self._lock:
                crash, self.pay_crashes = self.pay_crashes > 0, max(0, self.pay_crashes - 1)
            self._until_answered("pay", gid=gid, first_path="pay-crash" if crash else "pay")
        product.ended = time.time()

    def _until_answered(self, path, first_path=None, **params):
        """Sent again on a 5xx or a dropped connection, as a client would (docs/api.md); a
        payment sent again after its crash is paid, or declined as being paid (409)."""
        deadline, sending = time.monotonic() + CROWD_DEADLINE_S, first_path or path
        while True:
            try:
                answer = self.busi.post(sending, **params)
                if answer.status_code < 500:
                    return answer
            except OSError:
                pass
            sending = path
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{path} {params}: no answer within {CROWD_DEADLINE_S} s")
            time.sleep(0.5)

    # The auditor

    def _audit(self):
        verdict = Verdict(self.seed, self.injected)
        for product in self.products:
            try:
                # Sagas too: an expiry the sweeper started late must have finished before the sheet.
                wait.until(
                    lambda p=product: settled(self.busi, self.dtm, p.id, p.began),
                    SETTLE_DEADLINE_S,
                    f"product {product.id} to settle",
                    1,
                )
            except TimeoutError as err:
                verdict.broken.append((product, [str(err)]))
            found = audit.read(
                self.redis,
                self.mysql,
                self.dtm,
                product.id,
                STOCK,
                product.watcher.lowest if product.watcher.lowest is not None else 0,
                product.bought,
                product.refused,
                product.began,
            )
            sheet = read_sheet(self.busi, self.dtm, product.id, product.start, product.began)
            problems = found.problems() + sheet.problems()
            verdict.units += found.added - (found.stock_left or 0)
            if problems:
                verdict.broken.append((product, problems))
        verdict.products = len(self.products)
        return verdict


@dataclass
class Verdict:
    seed: int
    injected: list
    products: int = 0
    units: int = 0  # units sold, over every product
    broken: list = field(default_factory=list)  # (Product, problems)

    def lines(self):
        counts = {}
        for _, _, fault in self.injected:
            kind = fault.kind if fault.kind != "toxic" else f"toxic {fault.detail['toxic']} on {fault.target}"
            counts[kind] = counts.get(kind, 0) + 1
        yield f"seed {self.seed}: {len(self.injected)} faults injected, {self.products} sales, {self.units} units sold"
        for kind, count in sorted(counts.items()):
            yield f"  {kind}: {count}"
        for product, problems in self.broken:
            ended = product.ended or time.time()
            active = [f.label for began, end, f in self.injected if began <= ended and end >= product.began]
            yield f"BROKEN: product {product.id}: {'; '.join(problems)}; faults active during its sale: {active}"
        yield "verdict: " + ("held" if not self.broken else f"BROKEN on {len(self.broken)} products")
