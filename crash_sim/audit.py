"""The auditor: what Redis, MySQL and DTM say about one product's sale, read from the stores
themselves (not through the service under test), and whether the promise held."""

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text

from busi.adapters.orders import CANCELLED
from busi.adapters.stock import get_limit, stock_key, units_added
from busi.scenarios.dtm_records import dtm_transactions, purchases
from crash_sim.sale import awaiting
from saga.dtm_client import FINAL

_ORDERS = text("SELECT gid, status, amount, user_id FROM orders WHERE product_id = :p")


@dataclass
class Audit:
    added: int  # the units ever put on sale: the product's ledger (stock.added_key)
    stock_left: int | None  # None: the stock key is gone
    order_gids: list  # one entry per order row
    dtm_status: dict  # gid -> DTM status, for every transaction of the product
    settle_s: dict  # gid -> seconds from prepare to its last change (its final state, once final)
    min_stock: int  # the lowest stock seen while the sale ran
    bought: set = field(default_factory=set)  # gids that answered 200
    refused: set = field(default_factory=set)  # gids that answered 409
    statuses: list = field(default_factory=list)  # each order's, as order_gids
    amounts: list = field(default_factory=list)  # each order's units, as order_gids
    buyers: list = field(default_factory=list)  # each order's user_id, as order_gids
    limit: int | None = None  # the product's limit per buyer (stock.limit_key)

    @property
    def orders(self):
        return len(self.order_gids)

    @property
    def units_ordered(self):
        return sum(self.amounts)

    @property
    def cancelled(self):
        """Units of the orders that expired unpaid: they are back in stock."""
        return sum(units for units, status in zip(self.amounts, self.statuses, strict=True) if status == CANCELLED)

    @property
    def awaiting(self):
        return awaiting(Counter(self.statuses))

    def over_limit(self):
        """{buyer: units held} of the buyers holding more than the limit (orders not cancelled)."""
        held = Counter()
        for buyer, units, status in zip(self.buyers, self.amounts, self.statuses, strict=True):
            if status != CANCELLED:
                held[buyer] += units
        return {buyer: units for buyer, units in held.items() if self.limit is not None and units > self.limit}

    @property
    def duplicates(self):
        return self.orders - len(set(self.order_gids))

    @property
    def slowest_s(self):
        """How long the slowest purchase of the sale took to settle: its order created or its
        message failed. Milliseconds when nothing goes wrong; a fault shows here."""
        return max(self.settle_s.values(), default=0.0)

    @property
    def unfinished(self):
        return sum(status not in FINAL for status in self.dtm_status.values())

    def problems(self):
        """Every way in which the promise did not hold; empty when it held."""
        orders = set(self.order_gids)
        succeeded = {gid for gid, status in self.dtm_status.items() if status == "succeed"}
        if self.stock_left is None:
            return [f"the stock key is gone: Redis lost it ({self.orders} orders exist)"]
        checks = [
            (
                self.stock_left + self.units_ordered - self.cancelled != self.added,
                f"stock left {self.stock_left} + units ordered {self.units_ordered} - cancelled {self.cancelled} "
                f"!= units added {self.added}",
            ),
            (min(self.min_stock, self.stock_left) < 0, f"stock went below zero ({self.min_stock})"),
            (self.duplicates, f"{self.duplicates} gids with more than one order"),
            (self.over_limit(), f"buyers holding more than the limit of {self.limit}: {self.over_limit()}"),
            (self.bought - orders, f"answered 200 without an order: {sorted(self.bought - orders)[:3]}"),
            (self.refused & orders, f"answered 409 but has an order: {sorted(self.refused & orders)[:3]}"),
            (orders - succeeded, f"orders whose gid DTM does not know as succeeded: {sorted(orders - succeeded)[:3]}"),
            (succeeded - orders, f"messages DTM finished without an order: {sorted(succeeded - orders)[:3]}"),
            (self.unfinished, f"{self.unfinished} transactions DTM has not finished yet"),
        ]
        return [message for failed, message in checks if failed]


def read(redis, mysql, dtm, product_id, initial, min_stock, bought=(), refused=(), since_s=None):
    """The product's state now, from the three stores; since_s: when its sale began (epoch s);
    initial: its units added, for a product older than its ledger."""
    left, added = redis.get(stock_key(product_id)), units_added(redis, product_id)
    limit = get_limit(redis, product_id)
    with mysql.connect() as conn:
        found = [tuple(row) for row in conn.execute(_ORDERS, {"p": product_id})]
    transactions = purchases(dtm_transactions(dtm, product_id, since_s))
    return Audit(
        initial if added is None else added,
        int(left) if left is not None else None,
        [gid for gid, *_ in found],
        {gid: t["status"] for gid, t in transactions.items()},
        {gid: _seconds(t["create_time"], t["update_time"]) for gid, t in transactions.items()},
        min_stock,
        set(bought),
        set(refused),
        [status for _, status, *_ in found],
        [units for _, _, units, _ in found],
        [buyer for *_, buyer in found],
        limit,
    )


def _seconds(start, end):
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


class StockWatcher:
    """Samples the stock while the sale runs, to catch it below zero even for a moment."""

    def __init__(self, redis, product_id, interval_s=0.01):
        self.redis, self.key, self.interval_s = redis, stock_key(product_id), interval_s
        self.lowest = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _watch(self):
        while not self._stop.wait(self.interval_s):
            try:
                value = int(self.redis.get(self.key))
            except Exception:  # noqa: BLE001 - Redis down is one of the faults; keep watching
                continue
            self.lowest = value if self.lowest is None else min(self.lowest, value)
