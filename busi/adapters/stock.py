"""The Redis adapter: stock keys, gids, and the stock itself.

Every key of one purchase shares the product's hash tag ({p1} for product 1): the stock
key, and through the gid the barrier keys, so the deduction script touches one Redis
Cluster slot, as a Lua script must.
"""

import re
import uuid

STOCK_AMOUNT_PER_ORDER = 1
# A purchase without user_id (the DTM seed's own curl lines) buys for a new anonymous buyer,
# numbered from here up so that it cannot be mistaken for a shop's own user ids.
ANONYMOUS_BUYERS_KEY = "anonymous-buyers"
ANONYMOUS_BUYER_FROM = 10**12


def hash_tag(product_id):
    return f"{{p{product_id}}}"


def stock_key(product_id, kind=""):
    """The product's stock key; kind names another strategy's separate stock (twostores)."""
    return f"{hash_tag(product_id)}-{kind}-stock" if kind else f"{hash_tag(product_id)}-stock"


# In the gid of a purchase asked to crash (flashSales-crash), so that DTM's own records, its
# dashboard and the live page tell the drills from real failures.
CRASH_DRILL = "crash"
_PURCHASE_GID = re.compile(rf"\{{p(\d+)\}}(-{CRASH_DRILL})?-[0-9a-f]{{32}}")


def new_gid(product_id, crash_at=None):
    """A purchase's gid: the product's hash tag, the drill mark if it is to crash, a uuid."""
    drill = f"-{CRASH_DRILL}" if crash_at else ""
    return f"{hash_tag(product_id)}{drill}-{uuid.uuid4().hex}"


def keyed_gid(product_id, user_id, key):
    """The gid of the purchase a buyer's Idempotency-Key names: the same for the same buyer, key
    and product, and shaped like new_gid's, as every reader of gids expects."""
    return f"{hash_tag(product_id)}-{uuid.uuid5(uuid.NAMESPACE_URL, f'idempotency-key:{user_id}/{key}').hex}"


def purchase_of(gid):
    """(product_id, crash drill?) if gid is a purchase's (not a payment's or an expiry's), else None."""
    match = _PURCHASE_GID.fullmatch(gid)
    return (int(match[1]), bool(match[2])) if match else None


def new_anonymous_buyer(redis):
    """A buyer id never handed out before."""
    return ANONYMOUS_BUYER_FROM + redis.incr(ANONYMOUS_BUYERS_KEY)


def get_stock(redis, product_id, kind=""):
    """The units left, or None when the product has no stock key (an unknown product)."""
    value = redis.get(stock_key(product_id, kind))
    return None if value is None else int(value)


def get_stocks(redis, product_ids):
    """[units left or None] for the products, in one round trip."""
    pipe = redis.pipeline(transaction=False)  # not MGET: under Redis Cluster the keys span slots
    for product_id in product_ids:
        pipe.get(stock_key(product_id))
    return [None if value is None else int(value) for value in pipe.execute()]


def set_stock(redis, product_id, units, kind=""):
    redis.set(stock_key(product_id, kind), units)


def seed_stock(redis, product_id, units):
    """Give the product stock only if it has none yet (first start)."""
    redis.set(stock_key(product_id), units, nx=True)


def deduct(redis_barrier, barrier, product_id):
    """Take one unit, at most once for this barrier; DtmFailure when sold out."""
    redis_barrier.check_adjust_amount(barrier, stock_key(product_id), -STOCK_AMOUNT_PER_ORDER)
