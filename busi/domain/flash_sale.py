"""The domain: a purchase is a two-phase message; an order is its one branch.

purchase():     prepare the msg -> deduct the units in Redis (barrier) -> submit.
create_order(): the msg's branch, which DTM calls until it answers 200. The order carries
                its expiry time, which the sweeper acts on (busi/domain/expiry.py).
"""

import logging

from busi.adapters import metrics, orders, stock
from busi.domain import crash_points
from busi.domain.strategies.base import OverLimit, SoldOut
from saga import DtmDuplicated, DtmError, DtmFailure, Msg
from saga.barrier_redis import DEDUCTED, ROLLED_BACK, OverCap

log = logging.getLogger(__name__)

# A message still prepared this long after prepare is back-queried by DTM (its own flash-sale
# example uses 3 s). A purchase goes from prepare to submit in milliseconds; one that lost
# its process, its Redis or its DTM reply is settled within seconds instead of after the
# server's 35 s default. A purchase stalled longer is rolled back: a 409, never a lost unit.
TIMEOUT_TO_FAIL_S = 3
# DTM's cron first looks at a message RETRY_INTERVAL_S after prepare, in whole seconds. A
# look before timeout_to_fail finds nothing to do and, on the boltdb store, leases the message
# for the server's 10 s: so look no sooner than timeout_to_fail + 1. A createOrder that fails
# (MySQL down) is retried after twice that, then doubling: 8, 16, 32 s ...
RETRY_INTERVAL_S = TIMEOUT_TO_FAIL_S + 1


def purchase(svc, gid, user_id, product_id, quantity, crash_at=None):
    """Buy `quantity` units, all or none. Returns when the message is submitted (DTM then creates the order);
    raises SoldOut, OverLimit, DtmDuplicated, PurchaseEnded (a purchase sent again after it ended), or an
    error whose outcome DTM will settle.
    crash_at: a crash point (busi.domain.crash_points.POINTS) this purchase dies at, for the demos."""
    msg = message(svc, gid, user_id, product_id, quantity, crash_at)

    def deduct(barrier):
        crash_points.point(crash_at, "after_prepare", gid)
        try:
            stock.deduct(svc.redis_barrier, barrier, product_id, quantity, user_id)
        except DtmDuplicated:
            if svc.redis_barrier.msg_outcome(gid) != DEDUCTED:
                log.warning("gid=%s deduction came after DTM's back-query rolled it back: refused by the barrier", gid)
                raise
            # Else its twin deducted: the same purchase sent again (Idempotency-Key); submit it.
        except DtmFailure as refused:
            # Sold out, or over the buyer's limit. Mark the purchase rolled back before the
            # abort, as the back-query would: a twin that deducted meanwhile is then found,
            # and submitted instead.
            try:
                svc.redis_barrier.query_prepared(gid)
            except DtmFailure:
                if isinstance(refused, OverCap):
                    raise OverLimit(product_id, user_id, quantity) from None
                raise SoldOut(product_id, quantity) from None
        finally:
            crash_points.point(crash_at, "after_deduct", gid)

    try:
        msg.do_and_submit(f"{svc.config.busi_url}/queryPrepared", deduct)
    except DtmFailure as err:
        if isinstance(err, SoldOut | OverLimit | DtmDuplicated):
            raise
        # Prepare refused: the message is past it, so this is a purchase sent again (the same
        # Idempotency-Key). Its twin got there first: bought if the twin deducted.
        if svc.redis_barrier.msg_outcome(gid) != DEDUCTED:
            raise PurchaseEnded(gid) from err
    crash_points.point(crash_at, "after_submit", gid)
    log.info("gid=%s user %s bought %s of product %s", gid, user_id, quantity, product_id)


def message(svc, gid, user_id, product_id, quantity, crash_at=None):
    """The purchase's two-phase message: its one branch creates the order of `quantity` units."""
    branch_headers = {crash_points.HEADER: crash_at} if crash_at in crash_points.BRANCH_POINTS else {}
    msg = Msg(
        svc.dtm,
        gid,
        timeout_to_fail=TIMEOUT_TO_FAIL_S,
        retry_interval=RETRY_INTERVAL_S,
        branch_headers=branch_headers,
        branch_secret=svc.config.branch_secret,
    )
    msg.add(
        {"user_id": user_id, "product_id": product_id, "amount": quantity},
        f"{svc.config.busi_url}/createOrder",
    )
    return msg


class PurchaseEnded(DtmFailure):
    def __init__(self, gid):
        super().__init__(
            f"purchase {gid} ended without a unit (sold out, or rolled back): nothing was bought; "
            "to try again, send a new Idempotency-Key"
        )


def bought_already(svc, gid, user_id, product_id, quantity):
    """For a purchase its caller may send again (the gid derives from its Idempotency-Key):
    True if it bought its unit (then it is submitted, should its process have died before
    that); PurchaseEnded if it was rolled back; False if it has not deducted yet."""
    outcome = svc.redis_barrier.msg_outcome(gid)
    if outcome == ROLLED_BACK:
        raise PurchaseEnded(gid)
    if outcome != DEDUCTED:
        return False
    try:
        message(svc, gid, user_id, product_id, quantity).submit()
    except (DtmFailure, DtmError) as err:  # submitted already, done, or DTM's back-query will
        log.info("gid=%s bought already; submit again: %s", gid, err)
    return True


def create_order(svc, barrier, user_id, product_id, amount, crash_at=None):
    """Insert the order of barrier.gid, once, whatever number of times DTM delivers it."""
    created = barrier.call(
        svc.mysql,
        lambda conn: orders.insert_awaiting_payment(
            conn, barrier.gid, user_id, product_id, amount, svc.config.pay_within_s
        ),
    )
    log.info("gid=%s order %s", barrier.gid, "created" if created else "already created, delivery ignored")
    if created:  # DTM's retry then finds the barrier taken, so the crash happens once
        metrics.ORDERS_CREATED.inc()
        crash_points.point(crash_at, "after_order_commit", barrier.gid)
    return created
