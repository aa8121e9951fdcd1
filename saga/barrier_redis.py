"""The sub-transaction barrier for Redis: DTM's two Lua scripts, same keys and semantics.

No Python DTM client has one, so this follows DTM's Go client (RedisCheckAdjustAmount,
RedisQueryPrepared). Each script runs atomically inside Redis, so the stock check, the
barrier key and the deduction cannot interleave with a back-query or another buyer.
The scripts are registered once per client and called by SHA (EVALSHA).
"""

from dataclasses import dataclass

from saga.barrier import MSG_BARRIER_ID, MSG_BRANCH, MSG_OP, ORIGIN_OP, CompensatedFirst
from saga.result import FAILURE, DtmDuplicated, DtmFailure

# Barrier keys outlive DTM's own record of a transaction (7 days), so a very late
# back-query still finds the deduction instead of taking its absence for a rollback.
BARRIER_EXPIRE_S = 7 * 86400

# KEYS: stock, this op's barrier key, the origin op's barrier key[, a tally's hash, its cap].
# ARGV: amount, origin op, expiry[, the tally's field]. One change from DTM's script: the barrier
# is checked before the stock. An op whose barrier is taken was done or decided whatever the
# stock is now, and a purchase sent twice by its caller (the same Idempotency-Key) must read
# DUPLICATE, not sold out, once its twin took the last unit. An op whose key its compensation
# (or the back-query) wrote reads 'rollback': it comes too late.
# One addition: a tally, a counter per field (a buyer's units) that moves the other way from
# the amount, in the same step. With a cap key, an op that would take the field's count past
# the cap's value is refused ('CAPPED') and changes nothing, like a short stock.
ADJUST_AMOUNT = """
local e1 = redis.call('GET', KEYS[2])
if e1 ~= false then
  if e1 == 'rollback' then return 'rollback' end
  return 'DUPLICATE'
end
local v = redis.call('GET', KEYS[1])
if v == false or v + ARGV[1] < 0 then
  return 'FAILURE'
end
if KEYS[5] then
  local cap = redis.call('GET', KEYS[5])
  local counted = tonumber(redis.call('HGET', KEYS[4], ARGV[4]) or '0')
  if cap ~= false and counted - ARGV[1] > tonumber(cap) then return 'CAPPED' end
end
redis.call('SET', KEYS[2], 'op', 'EX', ARGV[3])
if ARGV[2] ~= '' then
  local e2 = redis.call('GET', KEYS[3])
  if e2 == false then
    redis.call('SET', KEYS[3], 'rollback', 'EX', ARGV[3])
    return
  end
end
redis.call('INCRBY', KEYS[1], ARGV[1])
if KEYS[4] then
  redis.call('HINCRBY', KEYS[4], ARGV[4], -ARGV[1])
end
"""

# KEYS: the msg's barrier key. ARGV: expiry. A missing key means the local transaction has
# not run: mark it rolled back, so that if it runs later it finds DUPLICATE and does nothing.
_QUERY_PREPARED = """
local v = redis.call('GET', KEYS[1])
if v == false then
  redis.call('SET', KEYS[1], 'rollback', 'EX', ARGV[1])
  v = 'rollback'
end
if v == 'rollback' then
  return 'FAILURE'
end
"""


def barrier_key(gid, branch_id, op, barrier_id):
    """DTM's Redis barrier key. Give gids the stock key's hash tag ({...}) so that all
    keys of one purchase land in one Redis Cluster slot, as a Lua script requires."""
    return f"{gid}-{branch_id}-{op}-{barrier_id}"


DEDUCTED, ROLLED_BACK = "op", "rollback"  # what a msg's barrier key holds
CAPPED = "CAPPED"


@dataclass(frozen=True)
class Tally:
    """A counter per field, in a hash, moved by minus an op's amount in the same script (a
    buyer's units: a deduction of 3 counts 3 more). cap_key: a key holding the most a field
    may count (none: no cap; the key missing: no cap either). Its keys share the amount key's
    hash tag: one slot."""

    key: str
    field: str
    cap_key: str | None = None

    def keys(self):
        return [self.key, self.cap_key] if self.cap_key else [self.key]


class OverCap(DtmFailure):
    """The op would take its tally's field past the cap: refused, nothing changed."""


class RedisBarrier:
    def __init__(self, redis_client):
        self._redis = redis_client
        self._adjust_amount = redis_client.register_script(ADJUST_AMOUNT)
        self._query_prepared = redis_client.register_script(_QUERY_PREPARED)

    def check_adjust_amount(self, barrier, key, amount, tally=None):
        """Add amount (negative: deduct) to the integer at key, at most once for this
        barrier, and minus amount to the tally's field if one is given; raise DtmFailure if
        key is missing or would go below zero, OverCap if the tally would pass its cap."""
        bid = barrier.new_barrier_id()
        origin_op = ORIGIN_OP.get(barrier.op, "")
        keys = [
            key,
            barrier_key(barrier.gid, barrier.branch_id, barrier.op, bid),
            barrier_key(barrier.gid, barrier.branch_id, origin_op, bid),
            *(tally.keys() if tally else []),
        ]
        args = [amount, origin_op, BARRIER_EXPIRE_S, *([tally.field] if tally else [])]
        result = _text(self._adjust_amount(keys=keys, args=args))
        if result == FAILURE:
            raise DtmFailure(f"gid {barrier.gid}: {key} is missing or lower than {-amount}")
        if result == CAPPED:
            raise OverCap(f"gid {barrier.gid}: {tally.field} would count more than {tally.cap_key} allows")
        if result in ("DUPLICATE", ROLLED_BACK) and barrier.op == MSG_OP:
            raise DtmDuplicated(barrier.gid)
        if result == ROLLED_BACK:  # a saga action after its compensation: no (saga/barrier.py says why)
            raise CompensatedFirst(barrier.gid, barrier.branch_id, barrier.op)

    def msg_outcome(self, gid):
        """DEDUCTED if the msg's local transaction ran, ROLLED_BACK if it never will, None if
        it has not run yet and may still."""
        return _text(self._redis.get(barrier_key(gid, MSG_BRANCH, MSG_OP, MSG_BARRIER_ID)))

    def query_prepared(self, gid):
        """The back-query: return if the msg's local transaction committed; raise DtmFailure
        if it did not (and make sure it never will)."""
        key = barrier_key(gid, MSG_BRANCH, MSG_OP, MSG_BARRIER_ID)
        if _text(self._query_prepared(keys=[key], args=[BARRIER_EXPIRE_S])) == FAILURE:
            raise DtmFailure(f"gid {gid}: rolled back, its local transaction never ran")


def local_transactions_done(redis_client, gids):
    """For each msg gid, whether its local transaction has run (its barrier key says so):
    False for one not yet run, rolled back by the back-query, or never to run. One round trip."""
    pipe = redis_client.pipeline(transaction=False)
    for gid in gids:
        pipe.get(barrier_key(gid, MSG_BRANCH, MSG_OP, MSG_BARRIER_ID))
    return [_text(value) == DEDUCTED for value in pipe.execute()]


def _text(value):
    return value.decode() if isinstance(value, bytes) else value
