"""python -m crash_sim compare: the same crowd against every strategy (busi/domain/strategies), then
the same crowd with a few purchases that crash right after their first write; one table.

Every buyer tries once, for one, two or three units (client.MIXED_QUANTITIES). oversold: units
ordered beyond the initial stock, or stock below zero. lost: units deducted that never became
an order, counted after any recovery has finished (DTM's back-query for dtm; the other
strategies have none).
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from busi.scenarios import dtm_records, wait
from busi.scenarios.client import BAD_GATEWAY, TIMEOUT_S, UNPAID_FOR_S, operator_client, quantity_of
from saga import DtmClient
from saga.dtm_client import FINAL

STOCK, BUYERS, CONCURRENCY = 100, 1000, 50
PRODUCT_ID = 999_200  # each strategy keeps its own stock and orders, so one id serves all
CRASHES = 3  # crash purchases mixed into the second crowd, while stock remains
RECOVERY_DEADLINE_S = 60
# What each strategy must show in every run (docs/strategies.md explains why).
EXPECTED = {
    "naive": "oversells",
    "rowlock": "correct, crashes included",
    "reserve": "correct, crashes included",
    "procedure": "correct, crashes included",
    "twostores": "loses the crashed purchases' units",
    "dtm": "correct, crashes included",
}
HEADERS = [
    "strategy",
    "200s",
    "409s",
    "units ordered",
    "stock left",
    "oversold",
    "lost",
    "purchases/s",
    "sold-out/s",
    "p99 ms",
    "with crashes: oversold",
    "lost",
]


@dataclass
class Sale:
    """One crowd against one strategy, and what the stores said afterwards."""

    initial: int
    answers: list  # (status or None, seconds from the start to the answer, latency s)
    stock_left: int
    units_ordered: int
    died_with: int = 0  # the units of the crash purchases whose process died (not refused first)

    def count(self, status):
        return sum(1 for answer in self.answers if answer[0] == status)

    @property
    def oversold(self):
        return max(self.units_ordered - self.initial, -self.stock_left, 0)

    @property
    def lost(self):
        return max(self.initial - self.stock_left - self.units_ordered, 0)

    def rate(self, status):
        """Answers of `status` per second, over the time in which they came: the purchases
        while stock lasted, the refusals once it had gone."""
        times = sorted(done for code, done, _ in self.answers if code == status)
        if len(times) < 2:
            return 0.0
        first = 0.0 if status == 200 else min(done - latency for code, done, latency in self.answers if code == status)
        return len(times) / (times[-1] - first)

    @property
    def p99_ms(self):
        latencies = sorted(latency for code, _, latency in self.answers if code is not None)
        return 1000 * latencies[int(0.99 * (len(latencies) - 1))]


class Comparison:
    def __init__(self, config, stock=STOCK, buyers=BUYERS, concurrency=CONCURRENCY):
        self.config, self.stock, self.buyers, self.concurrency = config, stock, buyers, concurrency
        self.client = operator_client(config)
        self.dtm = DtmClient(config.dtm_url)

    def run(self, strategy, crashes=0):
        self.client.reset(self.stock, PRODUCT_ID, strategy, pay_within_s=UNPAID_FOR_S)
        began = time.time()  # DTM's records of this run are those created since
        crash_at = crash_buyers(self.stock, crashes)
        session = self.client.pooled_session(self.concurrency)
        start = time.monotonic()
        with session, ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            answers = list(
                pool.map(
                    lambda buyer: self._buy(session, strategy, buyer, buyer in crash_at, start),
                    range(1, self.buyers + 1),
                )
            )
        if crashes:
            self._wait_for_recovery(strategy, began)
        return Sale(
            self.stock,
            answers,
            self.client.stock(PRODUCT_ID, strategy),
            self.client.units_ordered(PRODUCT_ID, strategy),
            # A crash purchase dies after its deduction; one of 3 units may meet fewer left and
            # be refused first (a 409), having taken nothing.
            sum(quantity_of(buyer) for buyer in crash_at if answers[buyer - 1][0] is None),
        )

    def _buy(self, session, strategy, buyer, crash, start):
        path = "flashSales-crash" if crash else "flashSales"
        sent = time.monotonic()
        try:
            response = session.post(
                f"{self.client.url}/{path}",
                timeout=TIMEOUT_S,
                # No user_id: a new anonymous buyer each time, so the comparison acts for no real buyer.
                params={"product_id": PRODUCT_ID, "strategy": strategy, "quantity": quantity_of(buyer)},
            )
            status = None if response.status_code == BAD_GATEWAY else response.status_code
        except requests.ConnectionError:
            status = None  # a crash purchase: its process died
        done = time.monotonic()
        return status, done - start, done - sent

    def _wait_for_recovery(self, strategy, since_s):
        """dtm: until DTM has finished every transaction of the sale (the back-query included)."""
        if strategy != "dtm":
            return

        def finished():
            purchases = dtm_records.purchases(dtm_records.dtm_transactions(self.dtm, PRODUCT_ID, since_s))
            return all(t["status"] in FINAL for t in purchases.values())

        wait.until(finished, RECOVERY_DEADLINE_S, "DTM finishing the sale", interval_s=0.5)


def crash_buyers(stock, crashes):
    """The buyers (numbers) whose purchase crashes: early in the sale, while stock remains."""
    return {round((i + 1) * stock / (2 * crashes + 2)) for i in range(crashes)}


def row(strategy, sale, crashed):
    return [
        strategy,
        sale.count(200),
        sale.count(409),
        sale.units_ordered,
        sale.stock_left,
        sale.oversold,
        sale.lost,
        f"{sale.rate(200):.0f}",
        f"{sale.rate(409):.0f}",
        f"{sale.p99_ms:.0f}",
        crashed.oversold,
        crashed.lost,
    ]


def surprise(strategy, sale, crashed):
    """What in this run differs from EXPECTED[strategy], or "" if nothing does."""
    expected = EXPECTED[strategy]
    if expected == "oversells":
        return "" if sale.oversold else "did not oversell this time (a race: run it again)"
    errors = [
        f"{label}: oversold {s.oversold}" for label, s in (("no crash", sale), ("crashes", crashed)) if s.oversold
    ]
    if sale.lost:
        errors.append(f"lost {sale.lost} without a crash")
    if expected.startswith("loses"):
        if not crashed.lost:
            errors.append("lost nothing to the crashes: did they happen?")
        elif crashed.lost != crashed.died_with:
            errors.append(f"lost {crashed.lost}, not the {crashed.died_with} units its dead purchases had taken")
    elif crashed.lost:
        errors.append(f"lost {crashed.lost} to the crashes")
    return "; ".join(errors)


def verdict(strategy, sale, crashed):
    """What this run showed, in words: EXPECTED's, or the surprise."""
    return surprise(strategy, sale, crashed) or f"{EXPECTED[strategy]}, as expected"
