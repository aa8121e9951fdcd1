"""The domain: a purchase is a two-phase message; an order is its one branch.

purchase():     prepare the msg -> deduct one unit in Redis (barrier) -> submit.
create_order(): the msg's branch, which DTM calls until it answers 200.
"""
import logging

from busi import orders, stock
from crash_sim import crash
from saga import DtmFailure, DtmDuplicated, Msg

log = logging.getLogger(__name__)

# A crashed purchase's message is back-queried this long after prepare (DTM's own
# flash-sale example uses 3 s), instead of the server's 35 s default.
CRASH_TIMEOUT_TO_FAIL_S = 3


class SoldOut(DtmFailure):
    pass


def purchase(svc, gid, user_id, product_id, crash_after_deduct=False):
    """Buy one unit. Returns when the message is submitted (DTM then creates the order);
    raises SoldOut, DtmDuplicated, or an error whose outcome DTM will settle."""
    busi_url = svc.config.busi_url
    msg = Msg(svc.dtm, gid, timeout_to_fail=CRASH_TIMEOUT_TO_FAIL_S if crash_after_deduct else 0)
    msg.add({"user_id": user_id, "product_id": product_id, "amount": stock.STOCK_AMOUNT_PER_ORDER},
            f"{busi_url}/createOrder")

    def deduct(barrier):
        try:
            stock.deduct(svc.redis_barrier, barrier, product_id)
        except DtmDuplicated:
            raise
        except DtmFailure:
            raise SoldOut(f"product {product_id} is sold out") from None
        finally:
            if crash_after_deduct:
                crash.die(f"gid={gid} after the Redis deduction attempt, before submit or abort")

    msg.do_and_submit(f"{busi_url}/queryPrepared", deduct)
    log.info("gid=%s user %s bought product %s", gid, user_id, product_id)


def create_order(svc, barrier, user_id, product_id, amount):
    """Insert the order of barrier.gid, once, whatever number of times DTM delivers it."""
    created = barrier.call(svc.mysql, lambda conn: orders.insert_order(conn, barrier.gid, user_id, product_id, amount))
    log.info("gid=%s order %s", barrier.gid, "created" if created else "already created, delivery ignored")
    return created
