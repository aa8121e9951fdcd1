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
    # Comment lines go first, so that a ";" in a comment cannot split a statement.
    sql = "\n".join(line for line in SCHEMA.read_text().splitlines() if not line.lstrip().startswith("--"))
    with engine.begin() as conn:
        for statement in filter(None, (s.strip() for s in sql.split(";"))):
            conn.exec_driver_sql(statement)
    engine.dispose()


def main():
    config = Config.from_env()
    apply_schema(config.mysql_url)
    engine = create_engine(sqlalchemy_url(config.mysql_url))
    with engine.begin() as conn:
        products.ensure(conn, 1)
    engine.dispose()
    seed_stock(redis_client.connect(config), 1, FIRST_STOCK)
    print(f"setup: schema applied at {config.mysql_url.split('@')[-1]}, product 1 has stock")
