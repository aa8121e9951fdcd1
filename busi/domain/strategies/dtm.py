"""dtm: this project's purchase, a DTM two-phase message (busi/flash_sale.py), stock in
Redis behind the barrier, orders in MySQL's `orders`, created by DTM's calls to createOrder."""

from busi import flash_sale, orders, stock
from busi.strategies.base import RedisStock, SoldOut, UnknownProduct
from crash_sim import crash


class Dtm(RedisStock):
    name = "dtm"
    crash_points = tuple(crash.POINTS)
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
