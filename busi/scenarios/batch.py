"""The batch scenario: a flash sale with one buyer whose process dies mid-purchase.

1. reset the product: `stock` units, no orders;
2. one crash purchase: its worker deducts a unit and dies before submitting;
3. `buyers` concurrent purchases, until all have answered;
4. their orders (created by DTM right after each submit) are counted;
5. DTM's back-query finds the crashed purchase's deduction and creates its order.
Every unit deducted must end up as exactly one order.
"""

import time

# No user_id: every purchase is a new anonymous buyer, so that the simulation, which anyone on
# this machine may start (docs/security.md), acts for no real buyer.
ANONYMOUS = None
NORMAL_ORDERS_DEADLINE_S = 15
RECOVERY_DEADLINE_S = 30  # the back-query comes 3-6 s after the crash; leave room
POLL_INTERVAL_S = 1


class BatchError(Exception):
    """The scenario did not go as every flash sale must."""


def run_batch(client, stock=4, buyers=10, product_id=1):
    """Run the scenario against a BusiClient; yield its report line by line."""
    reset = client.reset(stock, product_id)
    if reset["settled_in_flight"]:  # an earlier crash: the reset waited for its order first
        yield f"waited {reset['waited_s']} s for {reset['settled_in_flight']} unit(s) in flight to become orders"
    yield f"reset product {product_id}: stock {stock}, orders 0"

    response = client.crash_purchase(ANONYMOUS, product_id)
    if response is not None:
        raise BatchError(
            f"the crash purchase answered HTTP {response.status_code} {response.text!r}; "
            "its worker should have died without answering"
        )
    yield "one purchase crashed: its worker died after the stock deduction, before submit"

    answers = client.purchase_many([ANONYMOUS] * buyers, product_id)
    bought = sum(r.status_code == 200 for r in answers)
    sold_out = sum(r.status_code == 409 for r in answers)
    if bought + sold_out != buyers:
        errors = sorted({f"HTTP {r.status_code} {r.text[:200]}" for r in answers if r.status_code not in (200, 409)})
        raise BatchError(f"{buyers - bought - sold_out} purchases failed: {'; '.join(errors)}")
    yield f"{buyers} purchases answered: {bought} bought, {sold_out} sold out"

    count = _wait_for_orders(client, product_id, bought, NORMAL_ORDERS_DEADLINE_S)
    yield f"normally created {count} orders"

    left = client.stock(product_id)
    deducted = stock - left  # the crashed purchase's unit included
    yield "waiting for DTM's back-query to create the crashed purchase's order"
    yield f"total order created is: {count}"
    deadline = time.monotonic() + RECOVERY_DEADLINE_S
    while count < deducted and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_S)
        latest = client.order_count(product_id)
        if latest != count:  # a line per change, not per poll, so every run prints the same
            count = latest
            yield f"total order created is: {count}"
    if count != deducted:
        raise BatchError(f"{count} orders for {deducted} units deducted (stock {stock}, left {left})")
    yield f"stock left {left} + orders {count} = {stock} units: every unit deducted became exactly one order"


def _wait_for_orders(client, product_id, expected, deadline_s):
    deadline = time.monotonic() + deadline_s
    count = client.order_count(product_id)
    while count < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        count = client.order_count(product_id)
    return count
