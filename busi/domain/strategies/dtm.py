"""dtm: this project's purchase, a DTM two-phase message (busi/domain/flash_sale.py), stock in
Redis behind the barrier, orders in MySQL's `orders`, created by DTM's calls to createOrder."""

from busi.adapters import orders, recent_transactions, stock
from busi.domain import flash_sale, in_flight
from busi.domain.crash_points import POINTS
from busi.domain.strategies.base import RedisStock, SoldOut, UnknownProduct


class Dtm(RedisStock):
    name = "dtm"
    crash_points = tuple(POINTS)
    order_table = orders.ORDERS

    def refuse_early(self, svc, product_id):
        """The sold-out fast path: a buyer who arrives after the last unit needs no global
        transaction. The Lua script stays the only authority: a read that still sees a unit
        costs a normal try, which the script refuses if the unit has gone meanwhile."""
        left = self.stock(svc, product_id)
        if left is None:
            raise UnknownProduct(product_id, self.name)
        if left < stock.STOCK_AMOUNT_PER_ORDER:
            raise SoldOut(product_id)

    def purchase(self, svc, gid, user_id, product_id, crash_at=None):
        flash_sale.purchase(svc, gid, user_id, product_id, crash_at)

    def settle(self, svc, product_id):
        """A crashed purchase's unit stays deducted without its order for seconds: wait for it."""
        return in_flight.settle(svc, product_id)

    def reset(self, svc, product_id, units):
        super().reset(svc, product_id, units)
        recent_transactions.forget(svc.redis, product_id)  # their orders are gone
