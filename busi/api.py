"""The public endpoints under /api/busi: purchases and what a shopper may read.
The branches DTM calls are in branches.py, the demo endpoints in demo.py."""
import logging
from pathlib import Path

import yaml
from flask import Blueprint, current_app

from busi import flash_sale, orders, services, stock
from busi.config import API_PREFIX
from busi.inputs import InvalidInput, absent, params, parse_int
from saga.result import STATUS_ERROR, answer_for, success

log = logging.getLogger(__name__)
bp = Blueprint("busi", __name__)
ANY = ["GET", "POST"]  # every endpoint DTM or curl may call either way
OPENAPI = yaml.safe_load(Path(__file__).with_name("openapi.yaml").read_text())


@bp.route("/flashSales", methods=ANY)
def flash_sales():
    return purchase_answer()


def purchase_answer(crash_at=None):
    """One purchase from the request's user_id (a new anonymous buyer when there is none)
    and product_id, as the HTTP answer."""
    values = params()
    product_id = known_product(values)
    if absent(values, "user_id"):
        user_id = stock.new_anonymous_buyer(services().redis)
    else:
        user_id = parse_int(values, "user_id", minimum=1)
    gid = stock.new_gid(product_id)
    try:
        flash_sale.purchase(services(), gid, user_id, product_id, crash_at)
    except Exception as err:
        body, status = answer_for(err)
        if status == STATUS_ERROR:
            log.exception("gid=%s purchase failed; if its deduction ran, DTM's back-query settles it", gid)
        return {**body, "gid": gid, "user_id": user_id}, status
    return success(gid=gid, user_id=user_id)


@bp.get("/stock")
def get_stock():
    product_id = known_product(params())
    return {"product_id": product_id, "stock": stock.get_stock(services().redis, product_id)}


@bp.get("/orders")
def get_orders():
    product_id = known_product(params())
    engine = services().mysql
    return {"product_id": product_id, "count": orders.count_orders(engine, product_id),
            "latest": orders.latest_orders(engine, product_id)}


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
    """This API in OpenAPI 3 (busi/openapi.yaml), less the demo endpoints when they are off."""
    routes = {rule.rule for rule in current_app.url_map.iter_rules()}
    return {**OPENAPI, "paths": {path: item for path, item in OPENAPI["paths"].items() if API_PREFIX + path in routes}}


def known_product(values):
    product_id = parse_int(values, "product_id", default=1, minimum=1)
    if stock.get_stock(services().redis, product_id) is None:
        raise InvalidInput(f"unknown product_id {product_id}: it has no stock; "
                           f"create it with POST /api/busi/reset?product_id={product_id}&stock=N")
    return product_id
