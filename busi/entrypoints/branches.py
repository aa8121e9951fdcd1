"""The branches: endpoints that only DTM calls, each with the token of its transaction:
the purchase message's (createOrder, queryPrepared), the payment saga's (claimOrder, charge, markPaid)
and the expiry saga's (cancelOrder, restock), each saga action with its compensation.

Every request to this blueprint is authenticated before anything is read or written: the
Dtm-Branch-Token header must be HMAC(BRANCH_SECRET, gid) (saga/branch_token.py). Without it
anyone could create an order that no stock backs, or roll back a purchase in flight. And a
branch's payload must carry the seal made for that branch (saga/branch_seal.py): DTM shows
the token to anyone who reads its API, and the token alone would open every branch of the
transaction, with any payload.
"""

import logging

from flask import Blueprint, request

from busi import services
from busi.adapters import metrics
from busi.domain import crash_points, expiry, flash_sale, payment
from busi.entrypoints.inputs import INT_COLUMN_MAX, json_object, parse_int, parse_money, parse_text
from busi.entrypoints.purchases import ANY
from saga import BranchBarrier, branch_seal, branch_token
from saga.result import success

log = logging.getLogger(__name__)
bp = Blueprint("branches", __name__)


@bp.before_request
def only_dtm():
    gid = request.args.get("gid", "")
    try:
        branch_token.verify(services().config.branch_secret, gid, request.headers.get(branch_token.HEADER))
    except branch_token.InvalidToken as err:
        log.warning(
            "refused %s %s from %s (gid=%.128r): %s", request.method, request.path, request.remote_addr, gid, err
        )
        raise


@bp.after_request
def count(response):
    """Every branch call in the metrics, the back-queries also by their result."""
    branch = request.path.rsplit("/", 1)[-1]
    metrics.BRANCH_CALLS.labels(branch, metrics.outcome(response.status_code)).inc()
    if branch == "queryPrepared":
        result = {200: "committed", 409: "rolled_back"}.get(response.status_code, "error")
        metrics.BACK_QUERIES.labels(result).inc()
    return response


def sealed_call():
    """The barrier of this branch call and its payload, once the payload's seal shows that it
    was built for exactly this gid, branch, endpoint and op (saga/branch_seal.py)."""
    barrier = BranchBarrier.from_query(request.args)
    called = request.path.rsplit("/", 1)[-1]
    secret = services().config.branch_secret
    try:
        payload = branch_seal.verify(secret, barrier.gid, barrier.branch_id, barrier.op, called, json_object())
    except branch_seal.InvalidSeal as err:
        log.warning("refused %s from %s (gid=%.128r): %s", request.path, request.remote_addr, barrier.gid, err)
        raise
    return barrier, payload


@bp.route("/createOrder", methods=ANY)
def create_order():
    """The message's branch. DTM posts the payload and retries until it gets a 200."""
    barrier, payload = sealed_call()
    user_id = parse_int(payload, "user_id", minimum=1)
    product_id = parse_int(payload, "product_id", minimum=1)
    amount = parse_int(payload, "amount", minimum=1, maximum=INT_COLUMN_MAX)
    flash_sale.create_order(services(), barrier, user_id, product_id, amount, armed_crash())
    return success()


@bp.route("/queryPrepared", methods=ANY)
def query_prepared():
    """The back-query: 200 if the purchase's deduction committed, 409 if it never will."""
    barrier = BranchBarrier.from_query(request.args)
    services().redis_barrier.query_prepared(barrier.gid)
    return success()


def armed_crash():
    """The crash point the transaction carries in its branch_headers, if demos are on."""
    return request.headers.get(crash_points.HEADER) if services().config.demo_endpoints else None


def saga_call(*names):
    """The barrier of a saga branch call and the named fields of its payload, checked."""
    barrier, payload = sealed_call()
    parse = {
        "user_id": lambda: parse_int(payload, "user_id", minimum=1),
        "product_id": lambda: parse_int(payload, "product_id", minimum=1),
        "order_gid": lambda: parse_text(payload, "order_gid", 128),
        "price": lambda: parse_money(payload, "price"),
        "units": lambda: parse_int(payload, "units", minimum=1, maximum=INT_COLUMN_MAX),
    }
    return barrier, [parse[name]() for name in names]


def charge(svc, barrier, user_id, price):
    payment.charge(svc, barrier, user_id, price, armed_crash())


# path -> (its payload's fields, the domain function that runs it behind the barrier)
SAGA_BRANCHES = {
    "claimOrder": (("order_gid",), payment.claim),
    "claimOrderCompensate": (("order_gid",), payment.claim_compensate),
    "charge": (("user_id", "price"), charge),
    "chargeCompensate": (("user_id", "price"), payment.charge_compensate),
    "markPaid": (("order_gid",), payment.mark_paid),
    "markPaidCompensate": (("order_gid",), payment.mark_paid_compensate),
    "cancelOrder": (("order_gid",), expiry.cancel),
    "cancelOrderCompensate": (("order_gid",), expiry.cancel_compensate),
    "restock": (("product_id", "units", "user_id"), expiry.restock),
    "restockCompensate": (
        ("product_id", "units", "user_id"),
        lambda svc, barrier, product_id, units, user_id: expiry.restock(svc, barrier, product_id, -units, user_id),
    ),
}


def saga_branch(fields, run):
    def view():
        barrier, values = saga_call(*fields)
        run(services(), barrier, *values)
        return success()

    return view


for _path, (_fields, _run) in SAGA_BRANCHES.items():
    bp.add_url_rule(f"/{_path}", _path, saga_branch(_fields, _run), methods=ANY)
