"""The global transactions this service started lately, newest RECENT_KEEP, in a Redis sorted
set shared by every worker: gid -> when it started (epoch s).

DTM lists its transactions in gid order, and on the boltdb store by reading every one it keeps,
which grows by the hour. So the live page and the in-flight count ask DTM and the stores about
these gids instead of scanning DTM's list.
"""

import logging
import time

import redis

from busi.adapters import stock

log = logging.getLogger(__name__)
RECENT_KEY = "recent-transactions"
RECENT_KEEP = 1000  # enough for a crowd's in-flight units to stay in view until they settle


def remember(client, operation, trans):
    """DtmClient's on_trans hook: note a transaction when it starts (a msg's prepare, or the
    submit of one never prepared: a saga, a delayed msg). Never fails the purchase."""
    if operation != "prepare" and (operation != "submit" or trans.get("query_prepared")):
        return
    try:
        pipe = client.pipeline(transaction=False)
        pipe.zadd(RECENT_KEY, {trans["gid"]: time.time()}, nx=True)
        pipe.zremrangebyrank(RECENT_KEY, 0, -RECENT_KEEP - 1)
        pipe.execute()
    except redis.RedisError as err:
        log.warning("gid=%s not listed on the live page: %s", trans["gid"], err)


def newest(client):
    """[(gid, started epoch s)], newest first."""
    return [(gid.decode(), started) for gid, started in client.zrevrange(RECENT_KEY, 0, -1, withscores=True)]


def purchases_of(client, product_id):
    """The gids of the product's recent purchases."""
    return [gid for gid, _ in newest(client) if (stock.purchase_of(gid) or (None,))[0] == product_id]


def forget(client, product_id):
    """A reset product's purchases leave the list: their orders are gone, their deductions not."""
    gone = purchases_of(client, product_id)
    if gone:
        client.zrem(RECENT_KEY, *gone)
