"""The seeds' strategies keep stock and orders in one MySQL database: <name>_stock and
<name>_orders (busi/adapters/schema.sql). What they share is here; each adds its purchase."""

from busi.adapters import orders
from busi.domain.strategies.base import OverLimit, Strategy, UnknownProduct

_RESET_STOCK = (
    "INSERT INTO {table} (product_id, stored, reserved, available, limit_per_buyer) "
    "VALUES (:p, :units, 0, :units, :limit) "
    "ON DUPLICATE KEY UPDATE stored = :units, reserved = 0, available = :units, limit_per_buyer = :limit"
)
_HELD = "SELECT COALESCE(SUM(amount), 0) FROM {table} WHERE product_id = :p AND user_id = :u AND status <> 'cancelled'"


class MySQLStock(Strategy):
    @property
    def stock_table(self):
        return f"{self.name}_stock"

    def available(self, conn, product_id, lock=""):
        """The units available, read in conn (lock: "" or "FOR UPDATE"); UnknownProduct if no row."""
        return self.stock_row(conn, product_id, lock)[0]

    def stock_row(self, conn, product_id, lock=""):
        """(units available, limit per buyer or None), read in conn; UnknownProduct if no row."""
        query = orders.sql(
            "SELECT available, limit_per_buyer FROM {table} WHERE product_id = :p " + lock, self.stock_table
        )
        row = conn.execute(query, {"p": product_id}).first()
        if row is None:
            raise UnknownProduct(product_id, self.name)
        return tuple(row)

    def check_limit(self, conn, product_id, user_id, quantity, limit):
        """OverLimit if the buyer would hold more than `limit` units (None: no limit). Called
        holding the product's row lock, which every purchase of it takes first: the orders
        read here are all those committed before, and none can commit meanwhile. The read is
        the transaction's first plain one, so its snapshot is taken after the lock."""
        if limit is None:
            return
        held = conn.execute(orders.sql(_HELD, self.order_table), {"p": product_id, "u": user_id}).scalar_one()
        if held + quantity > limit:
            raise OverLimit(product_id, user_id, quantity)

    def take(self, conn, product_id, quantity):
        conn.execute(
            orders.sql("UPDATE {table} SET available = available - :q WHERE product_id = :p", self.stock_table),
            {"p": product_id, "q": quantity},
        )

    def insert_order(self, conn, gid, user_id, product_id, quantity):
        orders.insert_order(conn, gid, user_id, product_id, quantity, table=self.order_table)

    def reset(self, svc, product_id, units, limit=None):
        with svc.mysql.begin() as conn:
            conn.execute(orders.sql(_RESET_STOCK, self.stock_table), {"p": product_id, "units": units, "limit": limit})
            conn.execute(orders.sql("DELETE FROM {table} WHERE product_id = :p", self.order_table), {"p": product_id})

    def restock(self, svc, product_id, units):
        """One statement: the row's lock orders it with every purchase's."""
        with svc.mysql.begin() as conn:
            added = conn.execute(
                orders.sql(
                    "UPDATE {table} SET stored = stored + :u, available = available + :u WHERE product_id = :p",
                    self.stock_table,
                ),
                {"p": product_id, "u": units},
            )
            if not added.rowcount:
                raise UnknownProduct(product_id, self.name)
            return self.available(conn, product_id)

    def limit_per_buyer(self, svc, product_id):
        with svc.mysql.connect() as conn:
            return self.stock_row(conn, product_id)[1]

    def set_limit(self, svc, product_id, limit):
        with svc.mysql.begin() as conn:
            changed = conn.execute(
                orders.sql("UPDATE {table} SET limit_per_buyer = :l WHERE product_id = :p", self.stock_table),
                {"p": product_id, "l": limit},
            )
            if not changed.rowcount:
                self.stock_row(conn, product_id)  # UnknownProduct; else the limit was already so

    def stock(self, svc, product_id):
        with svc.mysql.connect() as conn:
            try:
                return self.available(conn, product_id)
            except UnknownProduct:
                return None
