"""Units in flight: deducted in Redis, their order not yet in MySQL. A crashed purchase's unit
stays in flight until DTM's back-query creates its order, 3-7 s later.

A reset or a restock sets the stock. If it did so while a unit is in flight, that unit's order
would land after it and be counted against the new stock: 5 orders for 4 units. So both wait
until the product has no unit in flight (settle), and say how long they waited.
"""

import base64
import json
import time

from busi.adapters import orders, recent_transactions, stock
from saga import DtmFailure
from saga.barrier_redis import local_transactions_done
from saga.dtm_client import FINAL

# A crashed purchase settles 3-7 s after the crash (flash_sale.TIMEOUT_TO_FAIL_S and DTM's cron);
# a createOrder that failed once is retried 8 s later. Past this, something is down.
SETTLE_DEADLINE_S = 30
POLL_INTERVAL_S = 0.1


class StillInFlight(DtmFailure):
    """Units stayed in flight past the deadline: a 409, and the stock was not touched."""


def units_in_flight(svc, gids):
    """{product_id: units} among these purchase gids: deducted, no order yet, and DTM not done
    with the purchase. Once DTM has finished it, no order can come any more: an order missing
    then was deleted (a reset from a stack with another Redis, on the same MySQL), not late."""
    products = {gid: purchase[0] for gid in gids if (purchase := stock.purchase_of(gid))}
    ordered = orders.gids_with_orders(svc.mysql, products)
    pending = [gid for gid in products if gid not in ordered]
    deducted = [gid for gid, done in zip(pending, local_transactions_done(svc.redis, pending), strict=True) if done]
    units = {}
    for gid in deducted:  # few: a purchase's order follows its deduction within milliseconds
        record = svc.dtm.query(gid)
        status = (record["transaction"] or {}).get("status")
        if status is not None and status not in FINAL:
            units[products[gid]] = units.get(products[gid], 0) + units_of(record)
    return units


def units_of(record):
    """The units a purchase's message deducted: its createOrder branch's amount, from DTM's
    query (the branches, each payload in base64: both stores keep them so; only boltdb lists
    the payloads with the transaction)."""
    [create_order] = [branch for branch in record["branches"] if branch["op"] == "action"]
    return json.loads(base64.b64decode(create_order["bin_data"]))["amount"]


def settle(svc, product_id, deadline_s=SETTLE_DEADLINE_S):
    """Wait until none of the product's recent purchases has a unit in flight. Returns (the
    most units seen in flight, the seconds waited); StillInFlight after deadline_s. The
    purchases are those started before the call: one started since belongs to what comes
    after it, and a busy sale must not hold the wait open."""
    start, most = time.monotonic(), 0
    purchases = recent_transactions.purchases_of(svc.redis, product_id)  # read once, not per poll
    while True:
        units = units_in_flight(svc, purchases).get(product_id, 0)
        most = max(most, units)
        waited = time.monotonic() - start
        if not units:
            return most, waited
        if waited > deadline_s:
            raise StillInFlight(
                f"{units} units of product {product_id} are still in flight after {deadline_s} s (deducted, "
                "no order yet): DTM settles them once it, MySQL and this service are reachable; try again then"
            )
        time.sleep(POLL_INTERVAL_S)
