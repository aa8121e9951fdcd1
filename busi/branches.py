"""The branches: endpoints that only DTM calls, each with the token of its transaction.

Every request to this blueprint is authenticated before anything is read or written: the
Dtm-Branch-Token header must be HMAC(BRANCH_SECRET, gid) (saga/branch_token.py). Without it
anyone could create an order that no stock backs, or roll back a purchase in flight.
"""
import logging

from flask import Blueprint, request

from busi import flash_sale, orders, services
from busi.api import ANY
from busi.inputs import json_object, parse_int
from crash_sim import crash
from saga import BranchBarrier, branch_token
from saga.result import success

log = logging.getLogger(__name__)
bp = Blueprint("branches", __name__)


@bp.before_request
def only_dtm():
    gid = request.args.get("gid", "")
    try:
        branch_token.verify(services().config.branch_secret, gid, request.headers.get(branch_token.HEADER))
    except branch_token.InvalidToken as err:
        log.warning("refused %s %s from %s (gid=%.128r): %s", request.method, request.path, request.remote_addr, gid, err)
        raise


@bp.route("/createOrder", methods=ANY)
def create_order():
    """The message's branch. DTM posts the payload and retries until it gets a 200."""
    barrier = BranchBarrier.from_query(request.args)
    payload = json_object()
    user_id = parse_int(payload, "user_id", minimum=1)
    product_id = parse_int(payload, "product_id", minimum=1)
    amount = parse_int(payload, "amount", minimum=1, maximum=orders.AMOUNT_MAX)
    crash_at = request.headers.get(crash.HEADER) if services().config.demo_endpoints else None
    flash_sale.create_order(services(), barrier, user_id, product_id, amount, crash_at)
    return success()


@bp.route("/queryPrepared", methods=ANY)
def query_prepared():
    """The back-query: 200 if the purchase's deduction committed, 409 if it never will."""
    barrier = BranchBarrier.from_query(request.args)
    services().redis_barrier.query_prepared(barrier.gid)
    return success()
