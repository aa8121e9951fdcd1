"""twostores: what people build first when the stock moves to Redis. The Lua script deducts
atomically (no oversell), then the order is inserted in MySQL: two stores, no transaction
manager. A process that dies between the two, or a MySQL that refuses the insert, leaves a
unit deducted with no order: lost to the sale."""

from busi.adapters import orders, stock
from busi.domain import crash_points
from busi.domain.strategies.base import AFTER_FIRST_WRITE, OverLimit, RedisStock, SoldOut, UnknownProduct

KIND = "twostores"  # its stock key is {pN}-twostores-stock
# KEYS: stock, the buyers' units held, the limit per buyer. ARGV: the quantity, the buyer.
# -1: no such key (unknown product), 0: fewer units left, 2: over the limit, 1: all taken.
_DEDUCT = """
local v = redis.call('GET', KEYS[1])
if v == false then return -1 end
if tonumber(v) < tonumber(ARGV[1]) then return 0 end
local limit = redis.call('GET', KEYS[3])
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if limit ~= false and held + ARGV[1] > tonumber(limit) then return 2 end
redis.call('DECRBY', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[2], ARGV[1])
return 1
"""


class TwoStores(RedisStock):
    name = "twostores"
    stock_kind = KIND

    def __init__(self):
        self._deduct = None  # the Script, registered on first use

    def purchase(self, svc, gid, user_id, product_id, quantity, crash_at=None):
        if self._deduct is None:
            self._deduct = svc.redis.register_script(_DEDUCT)
        keys = [stock.stock_key(product_id, KIND), stock.held_key(product_id, KIND), stock.limit_key(product_id, KIND)]
        taken = self._deduct(keys=keys, args=[quantity, user_id], client=svc.redis)
        if taken == -1:
            raise UnknownProduct(product_id, self.name)
        if taken == 0:
            raise SoldOut(product_id, quantity)
        if taken == 2:
            raise OverLimit(product_id, user_id, quantity)
        crash_points.point(crash_at, AFTER_FIRST_WRITE, gid)
        with svc.mysql.begin() as conn:
            orders.insert_order(conn, gid, user_id, product_id, quantity, table=self.order_table)
