"""The MySQL adapter of the catalogue: a product's name, price and payment window. Its stock
is not here: it stays in Redis (busi/adapters/stock.py), where the purchases take it."""

from decimal import Decimal

from sqlalchemy import text

DEFAULT_PRICE = Decimal("10.00")
DEFAULT_NAME = "flash sale product {id}"
_COLUMNS = "id, name, price, pay_within_s"


def create(conn, name, price, pay_within_s=None):
    """A new product's id."""
    return conn.execute(
        text("INSERT INTO products (name, price, pay_within_s) VALUES (:name, :price, :w)"),
        {"name": name, "price": price, "w": pay_within_s},
    ).lastrowid


def ensure(conn, product_id, price=None, pay_within_s=None):
    """Product product_id exists (with defaults when new); price and pay_within_s set if given."""
    conn.execute(
        text("INSERT IGNORE INTO products (id, name, price) VALUES (:id, :name, :price)"),
        {"id": product_id, "name": DEFAULT_NAME.format(id=product_id), "price": price or DEFAULT_PRICE},
    )
    if price is not None:
        conn.execute(text("UPDATE products SET price = :price WHERE id = :id"), {"id": product_id, "price": price})
    if pay_within_s is not None:
        conn.execute(
            text("UPDATE products SET pay_within_s = :w WHERE id = :id"), {"id": product_id, "w": pay_within_s}
        )


def get(engine, product_id):
    """The product as a dict, or None."""
    with engine.connect() as conn:
        row = (
            conn.execute(text(f"SELECT {_COLUMNS} FROM products WHERE id = :id"), {"id": product_id}).mappings().first()
        )
    return dict(row) if row else None


def latest(engine, limit=100):
    """The newest products first."""
    with engine.connect() as conn:
        return [
            dict(row)
            for row in conn.execute(
                text(f"SELECT {_COLUMNS} FROM products ORDER BY id DESC LIMIT :limit"), {"limit": limit}
            ).mappings()
        ]
