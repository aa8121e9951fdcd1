"""The MySQL adapter: the pooled engine and the orders tables.

Every strategy has an orders table of the same shape (busi/adapters/schema.sql): the dtm strategy's is
`orders`, the others' `<strategy>_orders`. Table names come from the code, never from a request.
"""

import functools
import re

from sqlalchemy import bindparam, create_engine, make_url, text

ORDERS = "orders"  # the dtm strategy's table
_TABLE_NAME = re.compile(r"[a-z_]+")


def sqlalchemy_url(mysql_url):
    """MYSQL_URL with the driver this project uses (PyMySQL)."""
    return make_url(mysql_url.replace("mysql://", "mysql+pymysql://", 1))


def make_engine(mysql_url, pool_size=4):
    """One pooled engine per process. pre_ping replaces connections MySQL closed while idle."""
    return create_engine(
        sqlalchemy_url(mysql_url), pool_size=pool_size, max_overflow=8, pool_pre_ping=True, pool_recycle=3600
    )


@functools.cache
def sql(template, table):
    """text(template) with {table} filled in, compiled once per table."""
    if not _TABLE_NAME.fullmatch(table):
        raise ValueError(f"not a table name: {table!r}")
    return text(template.format(table=table))


def insert_order(conn, gid, user_id, product_id, amount, table=ORDERS):
    conn.execute(
        sql(
            "INSERT INTO {table} (gid, user_id, product_id, amount, status) "
            "VALUES (:gid, :user_id, :product_id, :amount, 'created')",
            table,
        ),
        {"gid": gid, "user_id": user_id, "product_id": product_id, "amount": amount},
    )


def insert_awaiting_payment(conn, gid, user_id, product_id, amount, default_window_s):
    """The dtm strategy's order, due to expire when its product's payment window (or
    default_window_s) has passed, by the database's clock: one statement, one round trip."""
    conn.execute(
        text(
            "INSERT INTO orders (gid, user_id, product_id, amount, status, expires_at) "
            "VALUES (:gid, :user_id, :product_id, :amount, 'created', NOW(3) + INTERVAL "
            "COALESCE((SELECT pay_within_s FROM products WHERE id = :product_id), :window) SECOND)"
        ),
        {"gid": gid, "user_id": user_id, "product_id": product_id, "amount": amount, "window": default_window_s},
    )


def due_for_expiry(engine, limit):
    """[(gid, product_id, amount, user_id)] of the orders still awaiting payment whose time is up, the oldest
    first; an index (status, expires_at) finds them without reading the paid ones."""
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT gid, product_id, amount, user_id FROM orders "
                    "WHERE status = 'created' AND expires_at <= NOW(3) ORDER BY expires_at LIMIT :limit"
                ),
                {"limit": limit},
            )
        ]


def postpone_expiry(engine, gids, seconds):
    """Those of `gids` still awaiting payment are due again in `seconds`; None: never again
    (expires_at NULL)."""
    if not gids:
        return
    due = "NULL" if seconds is None else "NOW(3) + INTERVAL :s SECOND"
    query = text(f"UPDATE orders SET expires_at = {due} WHERE gid IN :gids AND status = 'created'").bindparams(
        bindparam("gids", expanding=True)
    )
    with engine.begin() as conn:
        conn.execute(query, {"s": seconds, "gids": list(gids)})


def latest_orders(engine, product_id, limit=10, table=ORDERS):
    with engine.connect() as conn:
        rows = conn.execute(
            sql(
                "SELECT gid, user_id, product_id, amount, status, create_time FROM {table} "
                "WHERE product_id = :p ORDER BY id DESC LIMIT :limit",
                table,
            ),
            {"p": product_id, "limit": limit},
        ).mappings()
        return [{**row, "create_time": row["create_time"].isoformat(timespec="milliseconds")} for row in rows]


def orders_of_gid(engine, gid):
    """How many orders a dtm transaction created: 0 or 1, never more (uk_gid)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM orders WHERE gid = :gid"), {"gid": gid}).scalar_one()


def gids_with_orders(engine, gids):
    """The gids among `gids` that have created their order (the dtm strategy's table)."""
    if not gids:
        return set()
    query = text("SELECT gid FROM orders WHERE gid IN :gids").bindparams(bindparam("gids", expanding=True))
    with engine.connect() as conn:
        return {gid for (gid,) in conn.execute(query, {"gids": list(gids)})}


def delete_orders(engine, product_id, table=ORDERS):
    with engine.begin() as conn:
        conn.execute(sql("DELETE FROM {table} WHERE product_id = :p", table), {"p": product_id})


# The order's life: created -> paid (the payment saga) or cancelled (the expiry saga).
# created -> paying (a payment claimed it) -> paid; created -> cancelled (expired).
CREATED, PAYING, PAID, CANCELLED = "created", "paying", "paid", "cancelled"
_ORDER = "SELECT id, gid, user_id, product_id, amount, status FROM orders WHERE "


def order(engine, gid=None, order_id=None):
    """The dtm strategy's order by its purchase gid or its id, as a dict, or None."""
    where, value = ("gid = :v", gid) if gid is not None else ("id = :v", order_id)
    with engine.connect() as conn:
        row = conn.execute(text(_ORDER + where), {"v": value}).mappings().first()
    return dict(row) if row else None


def move(conn, gid, from_status, to_status):
    """Change the order's status only if it is from_status: True if it changed. The one
    conditional UPDATE is what makes payment and expiry exclusive: only one can move it."""
    return (
        conn.execute(
            text("UPDATE orders SET status = :to WHERE gid = :gid AND status = :from"),
            {"gid": gid, "from": from_status, "to": to_status},
        ).rowcount
        == 1
    )


def status_of(conn, gid):
    return conn.execute(text("SELECT status FROM orders WHERE gid = :gid"), {"gid": gid}).scalar()


def count_by_status(engine, product_id, table=ORDERS):
    """{"orders": {status: orders}, "units": {status: units}} for the product."""
    return counts_by_status(engine, [product_id], table)[product_id]


def counts_by_status(engine, product_ids, table=ORDERS):
    """{product_id: {"orders": {status: orders}, "units": {status: units in them}}} for the
    products, in one query. An order holds `amount` units: the stock balances in units."""
    query = sql(
        "SELECT product_id, status, COUNT(*), SUM(amount) FROM {table} WHERE product_id IN :ps "
        "GROUP BY product_id, status",
        table,
    ).bindparams(bindparam("ps", expanding=True))
    counts = {product_id: {"orders": {}, "units": {}} for product_id in product_ids}
    with engine.connect() as conn:
        for product_id, status, count, units in conn.execute(query, {"ps": list(product_ids)}):
            counts[product_id]["orders"][status] = count
            counts[product_id]["units"][status] = int(units)
    return counts
