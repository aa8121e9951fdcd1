"""Expiry: an order still `created` when its payment window closes is cancelled, and its units
go back to the Redis stock, by a saga:

| branch      | action                                          | compensate             |
|-------------|-------------------------------------------------|------------------------|
| cancelOrder | order created -> cancelled; 409 if paid (payment won); 425 while being paid | cancelled -> created |
| restock     | the order's units back to the stock and the buyer's allowance (Redis barrier) | take them back |

A saga, not a plain message: the cancel may rightly lose to a payment, and a message's branch
may never say no. An order being paid is not lost to its payment yet: the payment may be
declined and give it back. cancelOrder then answers ONGOING, and DTM asks again later; had it
said no, the saga would have failed for good, and its gid, derived from the order's, could
never expire the order once the payment was declined (the HA chaos run found one so).

What starts it is the sweeper (busi/server/expiry_sweeper.py), which looks
every second for orders whose `expires_at` has passed. The order's row is the durable record:
no crash loses it, and a restarted DTM finds nothing missing, since the sweep looks again. The
saga's gid derives from the order's, so a second start finds the same saga and doubles nothing.
A paid order costs DTM nothing more than its purchase and its payment.
"""

import logging

from busi.adapters import orders, stock
from saga import DtmFailure, DtmOngoing, Saga

log = logging.getLogger(__name__)
RETRY_INTERVAL_S = 5
SWEEP_BATCH = 100
# An order handed to its saga is due again this long after, should it still be `created`: the
# saga is then still retrying a branch (MySQL or Redis down), or has rolled back.
LOOK_AGAIN_S = 60


class NotCancellable(DtmFailure):
    """The order is no longer `created` (paid, or cancelled already): the saga stops here."""


SAGA_SUFFIX = "-expire"


def saga_gid(order_gid):
    return order_gid + SAGA_SUFFIX


def is_expiry_saga(gid):
    return gid.endswith(SAGA_SUFFIX)


def sweep(svc):
    """Start the expiry saga of each order whose payment window has closed: how many. An order
    whose saga has ended without cancelling it is not due again: its saga's gid cannot run twice."""
    started, ended = [], []
    try:
        for order_gid, product_id, units, user_id in orders.due_for_expiry(svc.mysql, SWEEP_BATCH):
            (started if start(svc, order_gid, product_id, units, user_id) else ended).append(order_gid)
    finally:  # those not reached (DTM unreachable) stay due, for the next sweep
        orders.postpone_expiry(svc.mysql, started, LOOK_AGAIN_S)
        orders.postpone_expiry(svc.mysql, ended, None)
    return len(started)


def start(svc, order_gid, product_id, units, user_id):
    """Expire user_id's order of `units` units: its saga, submitted. False if that saga has
    ended already, and the order, if still awaiting payment, was not cancelled by it."""
    gid = saga_gid(order_gid)
    busi = svc.config.busi_url
    saga = Saga(svc.dtm, gid, retry_interval=RETRY_INTERVAL_S, branch_secret=svc.config.branch_secret)
    payload = {"order_gid": order_gid, "product_id": product_id, "units": units, "user_id": user_id}
    saga.add(payload, f"{busi}/cancelOrder", f"{busi}/cancelOrderCompensate")
    saga.add(payload, f"{busi}/restock", f"{busi}/restockCompensate")
    try:
        saga.submit()
    except DtmFailure as err:  # the same saga, finished already: a payment won, or Redis lost the stock
        log.warning(
            "gid=%s expiry saga ended, order %s not cancelled by it and not swept again (%s): "
            "its branches in DTM's dashboard say why; a lost stock key needs the product reset",
            gid,
            order_gid,
            err,
        )
        return False
    log.info("gid=%s expiring order %s", gid, order_gid)
    return True


def cancel(svc, barrier, order_gid):
    def move(conn):
        if not orders.move(conn, order_gid, orders.CREATED, orders.CANCELLED):
            status = orders.status_of(conn, order_gid)
            if status == orders.PAYING:  # rolled back with the barrier: the next call tries again
                raise DtmOngoing(f"order {order_gid} is being paid: cancel it once the payment has ended")
            raise NotCancellable(f"order {order_gid} is {status}: not cancelled")

    barrier.call(svc.mysql, move)


def cancel_compensate(svc, barrier, order_gid):
    barrier.call(svc.mysql, lambda conn: orders.move(conn, order_gid, orders.CANCELLED, orders.CREATED))


def restock(svc, barrier, product_id, units, user_id):
    """units > 0 gives the order's units back (the action), < 0 takes them again (the
    compensation); the buyer's units held move the other way in the same step, so an expired
    order counts no more against the limit per buyer.
    The action says no only when the stock key is gone (a Redis that lost its data). Then the
    compensation must still succeed, or DTM would retry it forever: with no stock key, the
    action cannot have added anything, so there is nothing to take back."""
    key = stock.stock_key(product_id)
    if units < 0 and not svc.redis.exists(key):
        log.warning("gid=%s %s is gone: restock added nothing, nothing to take back", barrier.gid, key)
        return
    svc.redis_barrier.check_adjust_amount(barrier, key, units, stock.buyers_units(product_id, user_id, limited=False))
