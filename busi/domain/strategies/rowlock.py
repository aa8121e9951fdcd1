"""rowlock: the naive steps inside one MySQL transaction, the stock row read with
SELECT ... FOR UPDATE. Every buyer of a product waits for the row in turn; a crash rolls
the whole transaction back, so nothing is lost."""

from busi.domain import crash_points
from busi.domain.strategies.base import AFTER_FIRST_WRITE, SoldOut
from busi.domain.strategies.mysql_stock import MySQLStock


class Rowlock(MySQLStock):
    name = "rowlock"

    def purchase(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        with svc.mysql.begin() as conn:
            available, limit = self.stock_row(conn, product_id, lock="FOR UPDATE")
            if available < quantity:
                raise SoldOut(product_id, quantity)
            self.check_limit(conn, product_id, user_id, quantity, limit)
            self.take(conn, product_id, quantity)
            crash_points.point(crash_at, AFTER_FIRST_WRITE, gid)
            self.insert_order(conn, gid, user_id, product_id, quantity)
