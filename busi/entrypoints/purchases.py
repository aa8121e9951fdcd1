"""The public endpoints under /api/busi: purchases and what a shopper may read.
The branches DTM calls are in branches.py, the demo endpoints in demo.py."""

import logging
import re
import time
from pathlib import Path

import yaml
from flask import Blueprint, current_app

from busi import services
from busi.adapters import metrics, orders, stock
from busi.config import API_PREFIX
from busi.domain.refusals import InvalidInput
from busi.domain.strategies import QUANTITY_MAX, SoldOut, UnknownProduct, strategy_of
from busi.entrypoints import access
from busi.entrypoints.inputs import IDEMPOTENCY_KEY, idempotency_key, params, parse_int
from saga.result import STATUS_ERROR, STATUS_FAILURE, answer_for, success

log = logging.getLogger(__name__)
bp = Blueprint("busi", __name__)
ANY = ["GET", "POST"]  # every endpoint DTM or curl may call either way
OPENAPI = yaml.safe_load(Path(__file__).with_name("openapi.yaml").read_text())


@bp.route("/flashSales", methods=ANY)
def flash_sales():
    return purchase_answer()


def purchase_answer(crash_at=None):
    """One purchase from the request's strategy, user_id (a new anonymous buyer when it is left
    out) and product_id, as the HTTP answer, counted in the metrics. crash_at: a crash
    point, already checked."""
    values = params()
    strategy = strategy_of(values)
    start, status = time.perf_counter(), STATUS_ERROR
    try:
        body, status = purchase(values, strategy, crash_at)
        return body, status
    except InvalidInput:
        status = 400
        raise
    finally:
        metrics.PURCHASES.labels(strategy.name, metrics.outcome(status)).inc()
        metrics.PURCHASE_SECONDS.labels(strategy.name).observe(time.perf_counter() - start)


def purchase(values, strategy, crash_at):
    product_id = parse_int(values, "product_id", default=1, minimum=1)
    quantity = parse_int(values, "quantity", minimum=1, maximum=QUANTITY_MAX) if "quantity" in values else 1
    named_buyer = parse_int(values, "user_id", minimum=1) if "user_id" in values else None
    key = idempotency_key()
    svc = services()
    try:
        # Before the credential check: "sold out" is public (GET /stock) and changes nothing, so
        # the crowd that came too late costs no signature check and no new anonymous buyer. Not
        # for a purchase sent again (a key): its first try may have taken the last unit.
        if key is None:
            strategy.refuse_early(svc, product_id, quantity)
    except SoldOut as err:  # no transaction was started, so there is no gid to show
        return {**refusal(err)[0], **({"user_id": named_buyer} if named_buyer else {})}, STATUS_FAILURE
    user_id, credential = buyer_of(
        named_buyer, anonymous=key is None, limited=lambda: strategy.limit_per_buyer(svc, product_id) is not None
    )
    shown = {"user_id": user_id, **({"credential": credential} if credential else {})}
    gid = stock.keyed_gid(product_id, user_id, key) if key else stock.new_gid(product_id, crash_at)
    try:
        if key:
            strategy.purchase_once(svc, gid, user_id, product_id, quantity, crash_at)
        else:
            strategy.purchase(svc, gid, user_id, product_id, quantity, crash_at)
    except InvalidInput:
        raise
    except Exception as err:
        body, status = refusal(err)
        if status == STATUS_ERROR:
            log.exception(
                "gid=%s %s purchase failed; if its deduction ran, DTM's back-query settles it", gid, strategy.name
            )
        return {**body, "gid": gid, **shown}, status
    return success(gid=gid, quantity=quantity, **shown)


def refusal(err):
    """answer_for(err), with the refusal's code (sold_out ...) when it has one, so that a
    client tells the reasons apart without reading the message."""
    body, status = answer_for(err)
    code = getattr(err, "code", None)
    return ({**body, "code": code} if code else body), status


def buyer_of(user_id, anonymous=True, limited=lambda: False):
    """(the buyer a purchase is for, the credential to answer with or None). user_id given: the
    caller must hold that buyer's credential (or the operator's). None: the buyer of the
    caller's credential, else a new anonymous buyer, whose credential the answer carries
    (anonymous=False, or a product whose limited() is true: a 400 instead)."""
    if user_id is not None:
        access.buyer(user_id)
        return user_id, None
    caller = access.holder()
    if caller is not None and caller.buyer is not None:
        return caller.buyer, None
    if not anonymous:
        raise InvalidInput(
            f"an {IDEMPOTENCY_KEY} names one buyer's purchase: send user_id and that buyer's credential, "
            "or the buyer's credential alone (a new anonymous buyer each time could never be the same purchase)"
        )
    if limited():
        raise InvalidInput(
            "this product has a limit per buyer, which a new anonymous buyer each time would pass: send user_id "
            "and that buyer's credential, or the buyer's credential alone (the first purchase's answer carries one)"
        )
    user_id = stock.new_anonymous_buyer(services().redis)
    return user_id, services().credentials.for_buyer(user_id)


@bp.get("/stock")
def get_stock():
    strategy, product_id, units = known_product(params())  # one read: this endpoint is polled by crowds
    return {"product_id": product_id, "strategy": strategy.name, "stock": units}


@bp.get("/orders")
@access.operator_only  # their buyers and gids are no one else's business
def get_orders():
    strategy, product_id, _ = known_product(params())
    svc = services()
    by_status = orders.count_by_status(svc.mysql, product_id, strategy.order_table)
    return {
        "product_id": product_id,
        "strategy": strategy.name,
        "count": sum(by_status["orders"].values()),
        "units": sum(by_status["units"].values()),
        "by_status": by_status["orders"],
        "units_by_status": by_status["units"],
        "latest": strategy.latest_orders(svc, product_id),
    }


@bp.route("/ping", methods=ANY)
def ping():
    """This process answers; nothing else is checked (health checks the stores). Also the
    no-op branch of the benchmark's bare DTM message, hence POST."""
    return success()


@bp.get("/health")
def health():
    """Redis, MySQL and DTM reachable from this worker."""
    svc = services()
    svc.redis.ping()
    with svc.mysql.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    svc.dtm.query("health-check")
    return {"redis": "ok", "mysql": "ok", "dtm": "ok"}


@bp.get("/openapi.json")
def openapi():
    """This API in OpenAPI 3 (busi/entrypoints/openapi.yaml), less the demo endpoints when they are off."""
    served = {
        (openapi_path(rule.rule), method.lower())
        for rule in current_app.url_map.iter_rules()
        for method in rule.methods
    }
    paths = {
        path: {method: op for method, op in item.items() if (path, method) in served}
        for path, item in OPENAPI["paths"].items()
    }
    return {**OPENAPI, "paths": {path: item for path, item in paths.items() if item}}


def openapi_path(rule):
    """A Flask rule as an OpenAPI path: /api/busi/products/<int:product_id> -> /products/{product_id}."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix(API_PREFIX))


def known_product(values):
    """The request's strategy, product_id and the product's stock, if that strategy knows the
    product (else a 400)."""
    strategy = strategy_of(values)
    product_id = parse_int(values, "product_id", default=1, minimum=1)
    units = strategy.stock(services(), product_id)
    if units is None:
        raise UnknownProduct(product_id, strategy.name)
    return strategy, product_id, units
