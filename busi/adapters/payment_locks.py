"""The Redis adapter of the payment locks: which payment of an order is under way.

Not what keeps an order paid once: the payment saga's claim does that, in MySQL. The lock
keeps a second payment of the same order from starting a saga at all while the first runs,
so a double click is answered at once, and never holds a worker (nor DTM) for nothing.
"""

LOCK_S = 10  # longer than a payment's wait for its saga; a dead process's lock lapses after it


def lock_key(order_gid):
    return f"{order_gid}-paying"  # the order's gid carries the product's hash tag: one Cluster slot


def take(redis, order_gid, payment_gid):
    """True if no other payment of the order holds the lock, which this one now holds."""
    return bool(redis.set(lock_key(order_gid), payment_gid, nx=True, ex=LOCK_S))


def give_back(redis, order_gid, payment_gid):
    """Free the lock if this payment still holds it. Not atomic: should the lock lapse and
    another payment take it between the two calls, that one loses its lock early, and the
    claim in MySQL still lets only one payment through."""
    held = redis.get(lock_key(order_gid))
    if held is not None and held.decode() == payment_gid:
        redis.delete(lock_key(order_gid))
