"""The demo endpoints: they reset data, kill workers and run the batch simulation.

Registered only when DEMO_ENDPOINTS is on (the default, for `make demo` and the tests);
a shop deploying this pattern sets DEMO_ENDPOINTS=0, and they answer 404. They are the
operator's (busi/entrypoints/access.py).
"""

import json
import logging

from flask import Blueprint, Response, stream_with_context

from busi import services
from busi.adapters import products, wallets
from busi.domain import crash_points
from busi.domain.refusals import InvalidInput
from busi.domain.strategies import STRATEGIES, strategy_of
from busi.entrypoints import access
from busi.entrypoints.inputs import (
    INT_COLUMN_MAX,
    LIMIT_PER_BUYER,
    absent,
    params,
    parse_int,
    parse_limit,
    parse_money,
)
from busi.entrypoints.purchases import ANY, purchase_answer
from busi.entrypoints.shop import pay_answer
from busi.scenarios import compare
from busi.scenarios.batch import BatchError, run_batch

log = logging.getLogger(__name__)
bp = Blueprint("demo", __name__)
bp.before_request(access.require_operator)


@bp.route("/flashSales-crash", methods=ANY)
def flash_sales_crash():
    """Like flashSales, but a process dies at the crash point `at` (default after_deduct:
    this worker, right after the deduction attempt, before submit or abort)."""
    values = params()
    strategy = strategy_of(values)
    at = crash_points.DEFAULT_POINT if absent(values, "at") else values["at"]
    if not isinstance(at, str) or at not in strategy.crash_points:
        raise InvalidInput(
            f"unknown crash point at={at!r} for strategy {strategy.name}: use one of {', '.join(strategy.crash_points)}"
        )
    return purchase_answer(crash_at=at)


@bp.route("/pay-crash", methods=ANY)
def pay_crash():
    """Like pay, but the charge branch's process dies after its commit (at=after_charge):
    DTM's retry finds the charge done and goes on to markPaid."""
    values = params()
    at = "after_charge" if absent(values, "at") else values["at"]
    if not isinstance(at, str) or at not in crash_points.PAY_POINTS:
        raise InvalidInput(f"unknown crash point at={at!r}: use one of {', '.join(crash_points.PAY_POINTS)}")
    return pay_answer(crash_at=at)


@bp.post("/wallet")
def set_wallet():
    """Demo: set one buyer's balance (to try a payment with too little)."""
    values = params()
    user_id, balance = parse_int(values, "user_id", minimum=1), parse_money(values, "balance")
    with services().mysql.begin() as conn:
        wallets.set_balance(conn, user_id, balance)
    return {"user_id": user_id, "balance": str(balance)}


@bp.post("/reset")
def reset():
    """Demo reset: in the strategy's stores, the product gets `stock` units and loses its
    orders (created if new), once its units in flight have become orders (settle). price
    and pay_within_s set the product's; balance, every buyer's wallet (and every new one's)."""
    values = params()
    strategy = strategy_of(values)
    units = parse_int(values, "stock", maximum=INT_COLUMN_MAX)
    product_id = parse_int(values, "product_id", default=1, minimum=1)
    price = parse_money(values, "price", default=None)
    window = parse_int(values, "pay_within_s", default=None, minimum=1, maximum=INT_COLUMN_MAX)
    balance = parse_money(values, "balance", default=None)
    limit = parse_limit(values, default=None)
    svc = services()
    in_flight, waited_s = strategy.settle(svc, product_id)
    with svc.mysql.begin() as conn:
        products.ensure(conn, product_id, price, window)
        if balance is not None:
            wallets.set_opening_balance(conn, balance)
    strategy.reset(svc, product_id, units, limit)
    log.info(
        "reset product %s (%s): stock %s, limit per buyer %s, orders deleted, after %.1f s for %s units in flight",
        *(product_id, strategy.name, units, limit, waited_s, in_flight),
    )
    return {
        "product_id": product_id,
        "strategy": strategy.name,
        "stock": units,
        LIMIT_PER_BUYER: limit,
        "orders": 0,
        "settled_in_flight": in_flight,
        "waited_s": round(waited_s, 1),
    }


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


@bp.route("/flashSales-compare", methods=ANY)
def flash_sales_compare():
    """crash_sim's comparison, small enough for the live page: every strategy under the same
    crowd, then with crashes. Streams JSON lines: the table's headers, then a row per strategy."""
    values = params()
    units = parse_int(values, "stock", default=20, minimum=1, maximum=1000)
    buyers = parse_int(values, "buyers", default=200, minimum=1, maximum=2000)
    # Fewer at a time than the service has workers: this one streams, crashed ones restart.
    comparison = compare.Comparison(services().config, units, buyers, concurrency=6)

    def lines():
        yield json.dumps({"headers": compare.HEADERS}) + "\n"
        try:
            for name in STRATEGIES:
                sale, crashed = comparison.run(name), comparison.run(name, compare.CRASHES)
                verdict = compare.verdict(name, sale, crashed)
                yield json.dumps({"row": compare.row(name, sale, crashed), "verdict": verdict}) + "\n"
        except OSError as err:  # TimeoutError too: DTM did not finish the sale in time
            log.error("comparison failed: %s", err)
            yield json.dumps({"error": str(err)}) + "\n"

    return Response(stream_with_context(lines()), mimetype="application/x-ndjson")
