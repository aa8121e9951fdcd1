"""The seeds' strategies keep stock and orders in one MySQL database: <name>_stock and
<name>_orders (busi/adapters/schema.sql). What they share is here; each adds its purchase."""

from busi.adapters import orders
from busi.domain.strategies.base import Strategy, UnknownProduct

_RESET_STOCK = (
    "INSERT INTO {table} (product_id, stored, reserved, available) VALUES (:p, :units, 0, :units) "
    "ON DUPLICATE KEY UPDATE stored = :units, reserved = 0, available = :units"
)


class MySQLStock(Strategy):
    @property
    def stock_table(self):
        return f"{self.name}_stock"

    def available(self, conn, product_id, lock=""):
        """The units available, read in conn (lock: "" or "FOR UPDATE"); UnknownProduct if no row."""
        units = conn.execute(
            orders.sql("SELECT available FROM {table} WHERE product_id = :p " + lock, self.stock_table),
            {"p": product_id},
        ).scalar()
        if units is None:
            raise UnknownProduct(product_id, self.name)
        return units

    def take(self, conn, product_id, quantity):
        conn.execute(
            orders.sql("UPDATE {table} SET available = available - :q WHERE product_id = :p", self.stock_table),
            {"p": product_id, "q": quantity},
        )

    def insert_order(self, conn, gid, user_id, product_id, quantity):
        orders.insert_order(conn, gid, user_id, product_id, quantity, table=self.order_table)

    def reset(self, svc, product_id, units):
        with svc.mysql.begin() as conn:
            conn.execute(orders.sql(_RESET_STOCK, self.stock_table), {"p": product_id, "units": units})
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

    def stock(self, svc, product_id):
        with svc.mysql.connect() as conn:
            try:
                return self.available(conn, product_id)
            except UnknownProduct:
                return None
