"""Expiry: an order still `created` when its payment window closes is cancelled, and its unit
goes back to the Redis stock, by a saga:

| branch      | action                                          | compensate             |
|-------------|-------------------------------------------------|------------------------|
| cancelOrder | order created -> cancelled; 409 if paid (payment won) | cancelled -> created |
| restock     | one unit back to the stock, behind the Redis barrier  | take it back          |

A saga, not a plain message: the cancel may rightly lose to a payment, and a message's branch
may never say no. What starts it is DTM itself: createOrder registers, with every order, a
message delayed by the payment window, whose one branch (expireOrder) starts the saga. DTM
keeps that message durably and retries its branch, so no crash loses the trigger; both gids
derive from the order's, so a second trigger finds the same saga and doubles nothing.
"""

import logging

from busi.adapters import orders, products, stock
from saga import DtmFailure, DtmOngoing, Msg, Saga

log = logging.getLogger(__name__)
RETRY_INTERVAL_S = 5


class NotCancellable(DtmFailure):
    """The order is no longer `created` (paid, or cancelled already): the saga stops here."""


TRIGGER_SUFFIX = "-expiry"


def trigger_gid(order_gid):
    return order_gid + TRIGGER_SUFFIX


def is_expiry_trigger(gid):
    return gid.endswith(TRIGGER_SUFFIX)


SAGA_SUFFIX = "-expire"


def saga_gid(order_gid):
    return order_gid + SAGA_SUFFIX


def is_expiry_saga(gid):
    return gid.endswith(SAGA_SUFFIX)


def register(svc, order_gid, product_id, window_s):
    """The delayed message that will start the expiry of order_gid; idempotent."""
    gid = trigger_gid(order_gid)
    msg = Msg(svc.dtm, gid, retry_interval=RETRY_INTERVAL_S, delay_s=window_s, branch_secret=svc.config.branch_secret)
    msg.add({"order_gid": order_gid, "product_id": product_id}, f"{svc.config.busi_url}/expireOrder")
    try:
        msg.submit()
    except DtmFailure as err:  # a redelivered createOrder: the trigger exists and has moved on
        log.info("gid=%s expiry trigger already registered: %s", gid, err)


def payment_window_s(svc, product_id):
    product = products.get(svc.mysql, product_id)
    return (product and product["pay_within_s"]) or svc.config.pay_within_s


def start(svc, order_gid, product_id):
    """The trigger's branch: start the expiry saga if the order still waits for payment.
    DTM calls it once the window has closed; a call before that (a replay of DTM's call by
    someone who read it from DTM's API) is told to come back later (425), and changes nothing."""
    order = orders.order(svc.mysql, gid=order_gid)
    if order is None or order["status"] != orders.CREATED:
        log.info("gid=%s no expiry: the order is %s", order_gid, order and order["status"])
        return
    left_s = payment_window_s(svc, product_id) - orders.age_s(svc.mysql, order_gid)
    if left_s > 0:
        raise DtmOngoing(f"the payment window of order {order_gid} closes in {left_s:.1f} s: not expired yet")
    gid = saga_gid(order_gid)
    busi = svc.config.busi_url
    saga = Saga(svc.dtm, gid, retry_interval=RETRY_INTERVAL_S, branch_secret=svc.config.branch_secret)
    payload = {"order_gid": order_gid, "product_id": product_id}
    saga.add(payload, f"{busi}/cancelOrder", f"{busi}/cancelOrderCompensate")
    saga.add(payload, f"{busi}/restock", f"{busi}/restockCompensate")
    try:
        saga.submit()
        log.info("gid=%s expiring order %s", gid, order_gid)
    except DtmFailure as err:  # the same saga, submitted by an earlier trigger
        log.info("gid=%s expiry saga already submitted: %s", gid, err)


def cancel(svc, barrier, order_gid):
    def move(conn):
        if not orders.move(conn, order_gid, orders.CREATED, orders.CANCELLED):
            raise NotCancellable(f"order {order_gid} is {orders.status_of(conn, order_gid)}: not cancelled")

    barrier.call(svc.mysql, move)


def cancel_compensate(svc, barrier, order_gid):
    barrier.call(svc.mysql, lambda conn: orders.move(conn, order_gid, orders.CANCELLED, orders.CREATED))


def restock(svc, barrier, product_id, units):
    """units: +1 gives the unit back (the action), -1 takes it again (the compensation).
    The action says no only when the stock key is gone (a Redis that lost its data). Then the
    compensation must still succeed, or DTM would retry it forever: with no stock key, the
    action cannot have added anything, so there is nothing to take back."""
    key = stock.stock_key(product_id)
    if units < 0 and not svc.redis.exists(key):
        log.warning("gid=%s %s is gone: restock added nothing, nothing to take back", barrier.gid, key)
        return
    svc.redis_barrier.check_adjust_amount(barrier, key, units)
