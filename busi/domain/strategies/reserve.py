"""reserve: the seeds' stock reservation. One conditional UPDATE moves the units from available
to reserved (payment would later take it from stored), the order in the same transaction:
the check and the deduction are one statement, so no read can go stale between them."""

from busi.adapters import orders
from busi.domain import crash_points
from busi.domain.strategies.base import AFTER_FIRST_WRITE, SoldOut
from busi.domain.strategies.mysql_stock import MySQLStock

_RESERVE = (
    "UPDATE {table} SET available = available - :q, reserved = reserved + :q WHERE product_id = :p AND available >= :q"
)


class Reserve(MySQLStock):
    name = "reserve"

    def purchase(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        with svc.mysql.begin() as conn:
            if conn.execute(orders.sql(_RESERVE, self.stock_table), {"p": product_id, "q": quantity}).rowcount == 0:
                self.available(conn, product_id)  # UnknownProduct when there is no row at all
                raise SoldOut(product_id, quantity)
            self.check_limit(conn, product_id, user_id, quantity, self.stock_row(conn, product_id)[1])
            crash_points.point(crash_at, AFTER_FIRST_WRITE, gid)
            self.insert_order(conn, gid, user_id, product_id, quantity)
