"""The MySQL adapter of the wallets: one row per buyer, the balance an exact decimal. A wallet
is made on its first charge, with the opening balance (wallet_opening, set by the demo)."""

from decimal import Decimal

from sqlalchemy import text


def opening_balance(conn):
    return conn.execute(text("SELECT balance FROM wallet_opening WHERE id = 1")).scalar_one()


def set_opening_balance(conn, balance):
    """Every wallet, existing or new, starts again from `balance` (the demo's reset)."""
    conn.execute(text("UPDATE wallet_opening SET balance = :b WHERE id = 1"), {"b": balance})
    conn.execute(text("UPDATE wallets SET balance = :b"), {"b": balance})


def set_balance(conn, user_id, balance):
    conn.execute(
        text("INSERT INTO wallets (user_id, balance) VALUES (:u, :b) ON DUPLICATE KEY UPDATE balance = :b"),
        {"u": user_id, "b": balance},
    )


def balance(engine, user_id):
    """The buyer's balance: the wallet's, or the opening balance if it has none yet."""
    with engine.connect() as conn:
        value = conn.execute(text("SELECT balance FROM wallets WHERE user_id = :u"), {"u": user_id}).scalar()
        return value if value is not None else opening_balance(conn)


def charge(conn, user_id, amount: Decimal):
    """Take amount from the wallet; False (nothing taken) if the balance is short. The UPDATE
    comes first: it takes the row's write lock at once. An INSERT IGNORE first would take a
    shared lock on the existing row, and two charges of one wallet, each holding that lock and
    waiting for the write lock, deadlock (MariaDB error 1213)."""
    take = text("UPDATE wallets SET balance = balance - :a WHERE user_id = :u AND balance >= :a")
    if conn.execute(take, {"u": user_id, "a": amount}).rowcount == 1:
        return True
    opened = conn.execute(
        text("INSERT IGNORE INTO wallets (user_id, balance) SELECT :u, balance FROM wallet_opening WHERE id = 1"),
        {"u": user_id},
    ).rowcount
    return bool(opened) and conn.execute(take, {"u": user_id, "a": amount}).rowcount == 1


def refund(conn, user_id, amount: Decimal):
    conn.execute(text("UPDATE wallets SET balance = balance + :a WHERE user_id = :u"), {"u": user_id, "a": amount})


def total(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT COALESCE(SUM(balance), 0) FROM wallets")).scalar_one()
