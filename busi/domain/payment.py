"""Payment: a DTM saga of two branches, each behind the MySQL barrier.

| branch   | action                                         | compensate       |
|----------|------------------------------------------------|------------------|
| charge   | take the price from the buyer's wallet; 409 short | put it back   |
| markPaid | order created -> paid; 409 if it is not created | paid -> created  |

DTM runs the actions in order. When one says no, it compensates those that ran, in reverse
order, so a declined payment leaves the wallet as it was. The answer waits for that round.
"""

import logging
import uuid

from busi.adapters import orders, products, wallets
from busi.adapters.stock import hash_tag
from busi.domain import crash_points
from saga import DtmFailure, Saga

log = logging.getLogger(__name__)
RETRY_INTERVAL_S = 5  # a branch that errs (MySQL down) is retried after this, doubling


class NotPayable(DtmFailure):
    """The order cannot be paid: a 409 with the reason."""


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
    DtmFailure with the reason when declined (compensated), DtmError while DTM still runs it.
    crash_at: a crash point of crash_points.PAY_POINTS, for the demos."""
    price = price_of(svc, order)
    payload = {"user_id": order["user_id"], "order_gid": order["gid"], "price": str(price)}
    busi = svc.config.busi_url
    headers = {crash_points.HEADER: crash_at} if crash_at in crash_points.PAY_POINTS else {}
    saga = Saga(
        svc.dtm, gid, retry_interval=RETRY_INTERVAL_S, branch_headers=headers, branch_secret=svc.config.branch_secret
    )
    saga.add(payload, f"{busi}/charge", f"{busi}/chargeCompensate")
    saga.add(payload, f"{busi}/markPaid", f"{busi}/markPaidCompensate")
    log.info("gid=%s paying order %s: %s from user %s", gid, order["gid"], price, order["user_id"])
    saga.submit_and_wait()
    return price


def charge(svc, barrier, user_id, price, crash_at=None):
    def take(conn):
        if not wallets.charge(conn, user_id, price):
            raise NotPayable(f"insufficient balance: user {user_id} has less than {price}")

    if barrier.call(svc.mysql, take):
        log.info("gid=%s charged %s to user %s", barrier.gid, price, user_id)
        crash_points.point(crash_at, "after_charge", barrier.gid)  # once: DTM's retry finds the barrier taken


def charge_compensate(svc, barrier, user_id, price):
    if barrier.call(svc.mysql, lambda conn: wallets.refund(conn, user_id, price)):
        log.info("gid=%s refunded %s to user %s", barrier.gid, price, user_id)


def mark_paid(svc, barrier, order_gid):
    def mark(conn):
        if not orders.move(conn, order_gid, orders.CREATED, orders.PAID):
            status = orders.status_of(conn, order_gid)
            raise NotPayable(f"order {order_gid} is {'already paid' if status == orders.PAID else status or 'unknown'}")

    barrier.call(svc.mysql, mark)


def mark_paid_compensate(svc, barrier, order_gid):
    barrier.call(svc.mysql, lambda conn: orders.move(conn, order_gid, orders.PAID, orders.CREATED))
