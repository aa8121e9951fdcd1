"""Property-based calls generated from busi/entrypoints/openapi.yaml (schemathesis), valid and invalid,
against the live service: no 5xx, every error a JSON object, and nothing created or changed.

Each generated call is sent three times: with no credential, with a buyer's and with the
operator's (docs/security.md). The generated calls carry no valid branch token, so the branches
must refuse every one; a generated purchase is pointed at a product sold out in every strategy's
stores, so it cannot take stock either. The demo endpoints change data or kill workers by
design; test_bad_input.py covers their input.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import bindparam, text

from busi.adapters.orders import sql
from busi.adapters.stock import stock_key
from busi.domain.credentials import Credentials
from busi.domain.strategies import STRATEGIES
from busi.domain.strategies.mysql_stock import MySQLStock
from busi.domain.strategies.twostores import KIND as TWOSTORES
from saga.barrier_redis import barrier_key

DEMO = r"^/(reset|flashSales-batch|flashSales-compare|flashSales-crash|pay-crash)$"


@pytest.fixture(scope="module")
def api_schema(config, busi):
    return schemathesis.openapi.from_url(f"{config.busi_url}/openapi.json")


# Also left out: the calls that change the shop by design when their input is valid (paying
# someone's order, adding a product, setting a stock); test_shop.py covers their bad input.
schema = (
    schemathesis.pytest.from_fixture("api_schema")
    .exclude(path_regex=DEMO)
    .exclude(path="/pay")
    .exclude(method="POST", path_regex=r"^/(products|wallet)$")
    .exclude(method="PUT")
)


@pytest.fixture(scope="module")
def callers(config):
    """The Authorization headers of the three kinds of caller."""
    keys = Credentials.of(config)
    return {"nobody": {}, "a buyer": bearer(keys.for_buyer(7)), "the operator": bearer(keys.for_operator())}


def bearer(credential):
    return {"Authorization": f"Bearer {credential}"}


@pytest.fixture(scope="module")
def sold_out(busi):
    product = 999_002
    for strategy in STRATEGIES:
        busi.reset(0, product, strategy)
    return product


def named_gids(case):
    """The gids a generated call names in its query string (DTM's other calls go on meanwhile,
    so the check looks at what this call could have touched, not at whole tables)."""
    value = case.query.get("gid") if isinstance(case.query, dict) else None
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [str(v) for v in values]


def traces(case, redis, mysql, sold_out):
    """What a generated call must not leave behind: an order, a barrier row or a back-query
    mark for a gid it names; stock taken from, or an order for, the sold-out product."""
    gids = named_gids(case) or [""]
    with mysql.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT (SELECT COUNT(*) FROM flash_sale.orders WHERE gid IN :gids OR product_id = :p), "
                "(SELECT COUNT(*) FROM dtm_barrier.barrier WHERE gid IN :gids)"
            ).bindparams(bindparam("gids", expanding=True)),
            {"gids": gids, "p": sold_out},
        ).one()
    marks = redis.exists(*[barrier_key(gid, "00", "msg", "01") for gid in gids])
    return tuple(rows), marks, redis.get(stock_key(sold_out)), strategies_state(mysql, redis, sold_out)


def strategies_state(mysql, redis, product):
    """The product's orders and stock in the other strategies' stores."""
    with mysql.connect() as conn:

        def one(template, table):
            return conn.execute(sql(template, table), {"p": product}).scalar()

        orders = [one("SELECT COUNT(*) FROM {table} WHERE product_id = :p", s.order_table) for s in STRATEGIES.values()]
        stocks = [
            one("SELECT available FROM {table} WHERE product_id = :p", s.stock_table)
            for s in STRATEGIES.values()
            if isinstance(s, MySQLStock)
        ]
    return orders, stocks, redis.get(stock_key(product, TWOSTORES))


def aim_purchases_at(case, product):
    """A purchase of an existing product would rightly take stock: send it to the sold-out one."""
    if case.path == "/flashSales" and isinstance(case.query, dict):
        if str(case.query.get("product_id", "1")).isdigit():
            case.query["product_id"] = product


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_calls(case, config, redis, mysql, sold_out, callers):
    aim_purchases_at(case, sold_out)
    before = traces(case, redis, mysql, sold_out)
    mysql_stocks = sum(isinstance(s, MySQLStock) for s in STRATEGIES.values())
    nothing_anywhere = ([0] * len(STRATEGIES), [0] * mysql_stocks, b"0")
    for caller, headers in callers.items():
        response = case.call(base_url=config.busi_url, headers=headers)
        assert response.status_code < 500, (caller, response.text)
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body, dict)
            assert isinstance(body.get("error"), str) and body["error"], (caller, body)
        assert traces(case, redis, mysql, sold_out) == before == ((0, 0), 0, b"0", nothing_anywhere), caller
