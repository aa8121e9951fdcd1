"""The Redis adapter: stock keys, gids, and the stock itself.

Every key of one purchase shares the product's hash tag ({p1} for product 1): the stock
key, and through the gid the barrier keys, so the deduction script touches one Redis
Cluster slot, as a Lua script must.
"""

import re
import uuid

from saga.barrier_redis import Tally

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


def get_stocks(redis, product_ids, with_added=False):
    """[units left or None] for the products, in one round trip; with_added: [(units left,
    units added)], each None when the product has no such key."""
    keys = [[stock_key(p), added_key(p)] if with_added else [stock_key(p)] for p in product_ids]
    pipe = redis.pipeline(transaction=False)  # not MGET: under Redis Cluster the keys span slots
    for key in (key for pair in keys for key in pair):
        pipe.get(key)
    values = [None if value is None else int(value) for value in pipe.execute()]
    return list(zip(values[::2], values[1::2], strict=True)) if with_added else values


def added_key(product_id, kind=""):
    """The ledger beside a stock key: the units ever put on sale (a reset's, a restock's, and
    what setting the stock moved), so that stock left + units in live orders = units added."""
    return f"{stock_key(product_id, kind)}-added"


# Both keys share the product's hash tag: one slot, so one script can move them together.
_SET_STOCK = """
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('SET', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], tonumber(ARGV[1]) - before)
return before
"""
_ADD_STOCK = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('INCRBY', KEYS[2], ARGV[1])
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""


def limit_key(product_id, kind=""):
    """The most units one buyer may hold of the product, across orders (none: no limit)."""
    return f"{stock_key(product_id, kind)}-limit-per-buyer"


def held_key(product_id, kind=""):
    """A hash, buyer -> the units they hold of the product: bought, less what expiry gave back."""
    return f"{stock_key(product_id, kind)}-held"


def buyers_units(product_id, user_id, kind="", limited=True):
    """The Tally a purchase (limited: under the product's limit) or a give-back moves."""
    return Tally(held_key(product_id, kind), str(user_id), limit_key(product_id, kind) if limited else None)


def reset_stock(redis, product_id, units, kind="", limit=None):
    """A product starting over: `units` on sale, and as many added (its orders are gone), no
    buyer holding any, and `limit` units per buyer (None: no limit)."""
    pipe = redis.pipeline(transaction=False)  # the same slot, yet a cluster pipeline is no MULTI
    pipe.set(stock_key(product_id, kind), units)
    pipe.set(added_key(product_id, kind), units)
    pipe.delete(held_key(product_id, kind))
    set_limit(pipe, product_id, limit, kind)
    pipe.execute()


def set_limit(client, product_id, limit, kind=""):
    """From now on, at most `limit` units per buyer (None: no limit); client: Redis or a
    pipeline. Purchases read it inside their script: each is checked against the limit of its moment."""
    if limit is None:
        client.delete(limit_key(product_id, kind))
    else:
        client.set(limit_key(product_id, kind), limit)


def get_limit(redis, product_id, kind=""):
    return get_limits(redis, [product_id], kind)[0]


def get_limits(redis, product_ids, kind=""):
    """[the limit per buyer, or None] of the products, in one round trip."""
    pipe = redis.pipeline(transaction=False)
    for product_id in product_ids:
        pipe.get(limit_key(product_id, kind))
    return [None if value is None else int(value) for value in pipe.execute()]


def set_stock(redis, product_id, units, kind=""):
    """`units` on sale from now on, whatever was left, in one step with the ledger, which moves
    by the difference: a unit deducted a moment before is in its order, counted once. Returns
    the units left before."""
    script = redis.register_script(_SET_STOCK)
    return int(script(keys=[stock_key(product_id, kind), added_key(product_id, kind)], args=[units], client=redis))


def add_stock(redis, product_id, units, kind=""):
    """`units` more on sale, added to what is left in one step (no deduction is overwritten),
    and to the ledger. The units left now, or None for a product with no stock key."""
    script = redis.register_script(_ADD_STOCK)
    left = script(keys=[stock_key(product_id, kind), added_key(product_id, kind)], args=[units], client=redis)
    return None if left is None else int(left)


def units_added(redis, product_id, kind=""):
    """The ledger: the units ever put on sale, or None for a product that has none."""
    value = redis.get(added_key(product_id, kind))
    return None if value is None else int(value)


def seed_stock(redis, product_id, units):
    """Give the product stock only if it has none yet (first start)."""
    if redis.set(stock_key(product_id), units, nx=True):
        redis.set(added_key(product_id), units)


def deduct(redis_barrier, barrier, product_id, quantity, user_id):
    """Take `quantity` units for user_id, all or none, at most once for this barrier, counted
    against the buyer's limit in the same step; DtmFailure when fewer are left, OverCap when
    the buyer would hold more than the limit."""
    redis_barrier.check_adjust_amount(barrier, stock_key(product_id), -quantity, buyers_units(product_id, user_id))
