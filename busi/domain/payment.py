"""Payment: a DTM saga of three branches, each behind the MySQL barrier.

| branch     | action                                              | compensate        |
|------------|-----------------------------------------------------|-------------------|
| claimOrder | order created -> paying; 409 if it is not created   | paying -> created |
| charge     | take the price from the buyer's wallet; 409 short   | put it back       |
| markPaid   | order paying -> paid                                | paid -> paying    |

DTM runs the actions in order. When one says no, it compensates those that ran, in reverse
order, so a declined payment leaves the wallet as it was. The answer waits for that round.
The claim comes before the money: of several payments of one order (a double click, ten
tabs), one claims it and the others are declined before they charge anything, so the
wallet never shows a second charge, not even until a compensation. `paying` also keeps the
expiry sweeper away from an order whose payment is under way.
"""

import logging
import uuid

from busi.adapters import orders, payment_locks, products, wallets
from busi.adapters.stock import hash_tag
from busi.domain import crash_points
from saga import DtmFailure, Saga

log = logging.getLogger(__name__)
RETRY_INTERVAL_S = 5  # a branch that errs (MySQL down) is retried after this, doubling


class NotPayable(DtmFailure):
    """The order cannot be paid: a 409 with the reason."""


NOT_PAYABLE_BECAUSE = {orders.PAID: "already paid", orders.PAYING: "being paid by another payment"}


def price_of(svc, order):
    product = products.get(svc.mysql, order["product_id"])
    return (product["price"] if product else products.DEFAULT_PRICE) * order["amount"]


GID_INFIX = "-pay-"  # a payment's gid: the product's hash tag, this, a uuid


def new_gid(order):
    return f"{hash_tag(order['product_id'])}{GID_INFIX}{uuid.uuid4().hex}"


def is_payment(gid):
    return GID_INFIX in gid


def pay(svc, order, gid, crash_at=None):
    """Run the payment saga `gid` of `order` to its end; returns the price charged. Raises
    DtmFailure with the reason when declined (compensated), DtmUnfinished while DTM still runs it
    (a branch is being retried).
    crash_at: a crash point of crash_points.PAY_POINTS, for the demos."""
    price = price_of(svc, order)
    payload = {"user_id": order["user_id"], "order_gid": order["gid"], "price": str(price)}
    busi = svc.config.busi_url
    headers = {crash_points.HEADER: crash_at} if crash_at in crash_points.PAY_POINTS else {}
    saga = Saga(
        svc.dtm, gid, retry_interval=RETRY_INTERVAL_S, branch_headers=headers, branch_secret=svc.config.branch_secret
    )
    saga.add(payload, f"{busi}/claimOrder", f"{busi}/claimOrderCompensate")
    saga.add(payload, f"{busi}/charge", f"{busi}/chargeCompensate")
    saga.add(payload, f"{busi}/markPaid", f"{busi}/markPaidCompensate")
    # A worker waits here while DTM calls the branches on other workers: ten payments of one
    # order at once would hold every worker and leave none for the branches. One at a time.
    if not payment_locks.take(svc.redis, order["gid"], gid):
        raise NotPayable(f"order {order['gid']} is {NOT_PAYABLE_BECAUSE[orders.PAYING]}")
    log.info("gid=%s paying order %s: %s from user %s", gid, order["gid"], price, order["user_id"])
    try:
        saga.submit_and_wait()
    finally:
        payment_locks.give_back(svc.redis, order["gid"], gid)
    return price


def charge(svc, barrier, user_id, price, crash_at=None):
    def take(conn):
        if not wallets.charge(conn, user_id, price):
            raise NotPayable(f"insufficient balance: user {user_id} has less than {price}")

    if barrier.call(svc.mysql, take):
        log.info("gid=%s charged %s to user %s", barrier.gid, price, user_id)
        crash_points.point(crash_at, "after_charge", barrier.gid)  # once: DTM's retry finds the barrier taken
    else:
        log.info("gid=%s charge delivered again (made already): ignored", barrier.gid)


def charge_compensate(svc, barrier, user_id, price):
    if barrier.call(svc.mysql, lambda conn: wallets.refund(conn, user_id, price)):
        log.info("gid=%s refunded %s to user %s", barrier.gid, price, user_id)


def claim(svc, barrier, order_gid):
    def take(conn):
        if not orders.move(conn, order_gid, orders.CREATED, orders.PAYING):
            status = orders.status_of(conn, order_gid)
            raise NotPayable(f"order {order_gid} is {NOT_PAYABLE_BECAUSE.get(status, status or 'unknown')}")

    barrier.call(svc.mysql, take)


def claim_compensate(svc, barrier, order_gid):
    barrier.call(svc.mysql, lambda conn: orders.move(conn, order_gid, orders.PAYING, orders.CREATED))


def mark_paid(svc, barrier, order_gid):
    """Never says no: the claim holds the order for this saga alone."""
    barrier.call(svc.mysql, lambda conn: orders.move(conn, order_gid, orders.PAYING, orders.PAID))


def mark_paid_compensate(svc, barrier, order_gid):
    barrier.call(svc.mysql, lambda conn: orders.move(conn, order_gid, orders.PAID, orders.PAYING))
