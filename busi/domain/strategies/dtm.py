"""dtm: this project's purchase, a DTM two-phase message (busi/domain/flash_sale.py), stock in
Redis behind the barrier, orders in MySQL's `orders`, created by DTM's calls to createOrder."""

import time

from busi.adapters import orders, recent_transactions
from busi.domain import flash_sale, in_flight
from busi.domain.crash_points import POINTS
from busi.domain.strategies.base import RedisStock, SoldOut, UnknownProduct

# A process that read a product sold out answers its next buyers "sold out" for this long
# without asking Redis: after the last unit, a crowd costs Redis one read per worker per period.
SOLD_OUT_MEMO_S = 0.25
SOLD_OUT_MEMO_MAX = 10_000  # products remembered at once; past it the memo starts again


class Dtm(RedisStock):
    name = "dtm"
    crash_points = tuple(POINTS)
    order_table = orders.ORDERS

    def __init__(self):
        self._sold_out_until = {}  # product_id -> time.monotonic() until which it is sold out

    def refuse_early(self, svc, product_id, quantity):
        """The sold-out fast path: a buyer who arrives after the last unit needs no global
        transaction, and, for SOLD_OUT_MEMO_S after this process last read the stock empty, no
        Redis read either. The Lua script stays the only authority: a read that still sees a
        unit costs a normal try, which the script refuses if the unit has gone meanwhile; a
        unit given back (an order expired) is offered again within SOLD_OUT_MEMO_S."""
        now = time.monotonic()
        if self._sold_out_until.get(product_id, 0.0) > now:
            raise SoldOut(product_id)
        left = self.stock(svc, product_id)
        if left is None:
            raise UnknownProduct(product_id, self.name)
        if left < 1:  # remembered only when none is left: a smaller purchase may yet fit
            if len(self._sold_out_until) >= SOLD_OUT_MEMO_MAX:
                self._sold_out_until.clear()
            self._sold_out_until[product_id] = now + SOLD_OUT_MEMO_S
        if left < quantity:
            raise SoldOut(product_id, quantity)

    def purchase_once(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        if flash_sale.bought_already(svc, gid, user_id, product_id, quantity):
            return  # before the sold-out check: the units this purchase took may have been the last
        try:
            self.refuse_early(svc, product_id, quantity)
        except SoldOut:
            if flash_sale.bought_already(svc, gid, user_id, product_id, quantity):
                return  # its twin (sent at the same time) took the last units meanwhile
            raise
        flash_sale.purchase(svc, gid, user_id, product_id, quantity, crash_at)

    def stock_set(self, product_id):
        """After the operator set a product's stock: returns once no process still remembers
        it sold out, so that the next buyer, whichever worker serves them, gets a unit."""
        self._sold_out_until.pop(product_id, None)
        time.sleep(SOLD_OUT_MEMO_S)  # the other workers' memos lapse: a lease waited out

    def purchase(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        flash_sale.purchase(svc, gid, user_id, product_id, quantity, crash_at)

    def settle(self, svc, product_id):
        """A crashed purchase's unit stays deducted without its order for seconds: wait for it."""
        return in_flight.settle(svc, product_id)

    def restock(self, svc, product_id, units):
        left = super().restock(svc, product_id, units)
        self.stock_set(product_id)
        return left

    def reset(self, svc, product_id, units, limit=None):
        super().reset(svc, product_id, units, limit)
        recent_transactions.forget(svc.redis, product_id)  # their orders are gone
        self.stock_set(product_id)
