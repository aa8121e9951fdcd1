"""naive: read the quantity, check it, deduct, insert the order, all in one transaction but
with a plain SELECT. A plain SELECT locks nothing and reads a snapshot: every buyer who reads
while another's deduction is not yet committed sees the old quantity and passes the check.
The UPDATE then waits for the row and subtracts from the newest value, so two buyers of the
last unit both get it and the stock goes negative, as in the 12.12 sale. It ignores a limit
per buyer too: checked the same way, that check would race the same way."""

from busi.domain import crash_points
from busi.domain.strategies.base import AFTER_FIRST_WRITE, SoldOut
from busi.domain.strategies.mysql_stock import MySQLStock


class Naive(MySQLStock):
    name = "naive"

    def purchase(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        with svc.mysql.begin() as conn:
            if self.available(conn, product_id) < quantity:
                raise SoldOut(product_id, quantity)
            self.take(conn, product_id, quantity)  # another buyer may have taken the units since the read
            crash_points.point(crash_at, AFTER_FIRST_WRITE, gid)
            self.insert_order(conn, gid, user_id, product_id, quantity)
