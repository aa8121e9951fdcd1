"""python -m busi setup: apply busi/adapters/schema.sql and give product 1 its first stock.

Runs against whatever MYSQL_URL and REDIS_URL point to; every step is idempotent.
"""

from pathlib import Path

from sqlalchemy import create_engine

from busi.adapters import products, redis_client
from busi.adapters.orders import sqlalchemy_url
from busi.adapters.stock import seed_stock
from busi.config import Config

SCHEMA = Path(__file__).parent.parent / "adapters" / "schema.sql"
FIRST_STOCK = 100


def apply_schema(mysql_url):
    # Connect without a database: the schema creates the databases it uses.
    engine = create_engine(sqlalchemy_url(mysql_url).set(database=""))
    with engine.begin() as conn:
        for statement in statements(SCHEMA.read_text()):
            conn.exec_driver_sql(statement)
    engine.dispose()


def statements(sql):
    """The statements of a schema file as the mysql client splits them: each ends with the
    delimiter at the end of a line, ";" until a DELIMITER line changes it (for a procedure's
    body). Comment lines are dropped first, so that a ";" in a comment cannot end a statement."""
    delimiter, lines = ";", []
    for line in sql.splitlines():
        if line.lstrip().startswith("--"):
            continue
        if line.upper().startswith("DELIMITER "):
            delimiter = line.split()[1]
            continue
        lines.append(line)
        if line.rstrip().endswith(delimiter):
            statement = "\n".join(lines).rstrip()[: -len(delimiter)].strip()
            if statement:
                yield statement
            lines = []


def main():
    config = Config.from_env()
    apply_schema(config.mysql_url)
    engine = create_engine(sqlalchemy_url(config.mysql_url))
    with engine.begin() as conn:
        products.ensure(conn, 1)
    engine.dispose()
    seed_stock(redis_client.connect(config), 1, FIRST_STOCK)
    print(f"setup: schema applied at {config.mysql_url.split('@')[-1]}, product 1 has stock")
