"""The HTTP endpoints under /api/busi. See the README for curl lines."""
import logging

from flask import Blueprint, Response, request, stream_with_context

from busi import flash_sale, orders, services, stock
from busi.inputs import InvalidInput, json_object, params, parse_int
from crash_sim.batch import BatchError, run_batch
from saga import BranchBarrier
from saga.result import STATUS_ERROR, answer_for, success

log = logging.getLogger(__name__)
bp = Blueprint("busi", __name__)
ANY = ["GET", "POST"]


@bp.route("/flashSales", methods=ANY)
def flash_sales():
    return _purchase(crash_after_deduct=False)


@bp.route("/flashSales-crash", methods=ANY)
def flash_sales_crash():
    """Like flashSales, but this worker process dies right after the deduction attempt
    (whatever its outcome), before submit or abort."""
    return _purchase(crash_after_deduct=True)


def _purchase(crash_after_deduct):
    values = params()
    user_id = parse_int(values, "user_id", minimum=1)
    product_id = _known_product(values)
    gid = stock.new_gid(product_id)
    try:
        flash_sale.purchase(services(), gid, user_id, product_id, crash_after_deduct)
    except Exception as err:
        body, status = answer_for(err)
        if status == STATUS_ERROR:
            log.exception("gid=%s purchase failed; if its deduction ran, DTM's back-query settles it", gid)
        return {**body, "gid": gid}, status
    return success(gid=gid)


@bp.route("/createOrder", methods=ANY)
def create_order():
    """The message's branch. DTM posts the payload and retries until it gets a 200."""
    barrier = BranchBarrier.from_query(request.args)
    payload = json_object()
    user_id = parse_int(payload, "user_id", minimum=1)
    product_id = parse_int(payload, "product_id", minimum=1)
    amount = parse_int(payload, "amount", minimum=1, maximum=orders.AMOUNT_MAX)
    flash_sale.create_order(services(), barrier, user_id, product_id, amount)
    return success()


@bp.route("/queryPrepared", methods=ANY)
def query_prepared():
    """The back-query: 200 if the purchase's deduction committed, 409 if it never will."""
    barrier = BranchBarrier.from_query(request.args)
    services().redis_barrier.query_prepared(barrier.gid)
    return success()


@bp.get("/stock")
def get_stock():
    product_id = _known_product(params())
    return {"product_id": product_id, "stock": stock.get_stock(services().redis, product_id)}


@bp.get("/orders")
def get_orders():
    product_id = _known_product(params())
    engine = services().mysql
    return {"product_id": product_id, "count": orders.count_orders(engine, product_id),
            "latest": orders.latest_orders(engine, product_id)}


@bp.post("/reset")
def reset():
    """Demo reset: the product gets `stock` units and loses its orders (creates it if new)."""
    values = params()
    units = parse_int(values, "stock")
    product_id = parse_int(values, "product_id", default=1, minimum=1)
    svc = services()
    stock.set_stock(svc.redis, product_id, units)
    orders.delete_orders(svc.mysql, product_id)
    log.info("reset product %s: stock %s, orders deleted", product_id, units)
    return {"product_id": product_id, "stock": units, "orders": 0}


@bp.route("/flashSales-batch", methods=ANY)
def flash_sales_batch():
    """Runs crash_sim's batch scenario against this service; streams its lines."""
    values = params()
    units = parse_int(values, "stock", default=4, minimum=1, maximum=1000)
    buyers = parse_int(values, "buyers", default=10, minimum=1, maximum=200)
    product_id = parse_int(values, "product_id", default=1, minimum=1)
    client = services().busi

    def lines():
        try:
            for line in run_batch(client, units, buyers, product_id):
                yield line + "\n"
        except (BatchError, OSError) as err:
            log.error("batch failed: %s", err)
            yield f"error: {err}\n"

    return Response(stream_with_context(lines()), mimetype="text/plain")


@bp.get("/health")
def health():
    """Redis, MySQL and DTM reachable from this worker."""
    svc = services()
    svc.redis.ping()
    with svc.mysql.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    svc.dtm.query("health-check")
    return {"redis": "ok", "mysql": "ok", "dtm": "ok"}


def _known_product(values):
    product_id = parse_int(values, "product_id", default=1, minimum=1)
    if stock.get_stock(services().redis, product_id) is None:
        raise InvalidInput(f"unknown product_id {product_id}: it has no stock; "
                           f"create it with POST /api/busi/reset?product_id={product_id}&stock=N")
    return product_id
