"""The demo endpoints: they reset data, kill workers and run the batch simulation.

Registered only when DEMO_ENDPOINTS is on (the default, for `make demo` and the tests);
a shop deploying this pattern sets DEMO_ENDPOINTS=0, and they answer 404.
"""
import logging

from flask import Blueprint, Response, stream_with_context

from busi import services
from busi.api import ANY, purchase_answer
from busi.inputs import InvalidInput, params, parse_int
from busi.strategies import strategy_of
from crash_sim import crash
from crash_sim.batch import BatchError, run_batch

log = logging.getLogger(__name__)
bp = Blueprint("demo", __name__)
STOCK_MAX = 2**31 - 1  # the MySQL strategies keep stock in an INT


@bp.route("/flashSales-crash", methods=ANY)
def flash_sales_crash():
    """Like flashSales, but a process dies at the crash point `at` (default after_deduct:
    this worker, right after the deduction attempt, before submit or abort)."""
    values = params()
    strategy = strategy_of(values)
    at = values.get("at") or crash.DEFAULT_POINT
    if at not in strategy.crash_points:
        raise InvalidInput(f"unknown crash point at={at!r} for strategy {strategy.name}: "
                           f"use one of {', '.join(strategy.crash_points)}")
    return purchase_answer(crash_at=at)


@bp.post("/reset")
def reset():
    """Demo reset: in the strategy's stores, the product gets `stock` units and loses its
    orders (created if new)."""
    values = params()
    strategy = strategy_of(values)
    units = parse_int(values, "stock", maximum=STOCK_MAX)
    product_id = parse_int(values, "product_id", default=1, minimum=1)
    strategy.reset(services(), product_id, units)
    log.info("reset product %s (%s): stock %s, orders deleted", product_id, strategy.name, units)
    return {"product_id": product_id, "strategy": strategy.name, "stock": units, "orders": 0}


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
