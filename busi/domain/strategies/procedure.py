"""procedure: reserve's purchase as a stored procedure (flash_sale.purchase_units, in
busi/adapters/schema.sql), so the whole of it is one round trip to MySQL. The conditional
UPDATE takes the row lock, the INSERT and the COMMIT follow inside the server, and the lock is
never held while a packet crosses the network: the strongest single-database peer of dtm when
the database is a network hop away (docs/tiers-apart.md)."""

from sqlalchemy import text

from busi.domain import crash_points
from busi.domain.strategies.base import AFTER_FIRST_WRITE, OverLimit, SoldOut, UnknownProduct
from busi.domain.strategies.mysql_stock import MySQLStock

# The procedure's answer, one row of one column.
BOUGHT, SOLD_OUT, OVER_LIMIT, UNKNOWN = "bought", "sold out", "over limit", "unknown"
_CALL = text("CALL purchase_units(:product_id, :user_id, :gid, :quantity)")


class Procedure(MySQLStock):
    name = "procedure"

    def purchase(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        # The procedure commits (or rolls back) itself; what the connection ends with is empty.
        with svc.mysql.connect() as conn:
            outcome = conn.execute(
                _CALL, {"product_id": product_id, "user_id": user_id, "gid": gid, "quantity": quantity}
            ).scalar_one()
        if outcome == UNKNOWN:
            raise UnknownProduct(product_id, self.name)
        if outcome == SOLD_OUT:
            raise SoldOut(product_id, quantity)
        if outcome == OVER_LIMIT:
            raise OverLimit(product_id, user_id, quantity)
        crash_points.point(crash_at, AFTER_FIRST_WRITE, gid)  # the unit and its order, committed together
