"""Redis, for the stock stream: which stock keys change (keyspace notifications), and the stocks
read together. asyncio; the stream server (busi/server/stream.py) is its only user.

Redis publishes an event on `__keyspace@<db>__:<key>` whenever a command changes <key>, once
`notify-keyspace-events` says so (scripts/stack.sh sets `K$`: keyspace channels, of string
commands). So the purchase scripts stay as they are: their INCRBY on `{pN}-stock` is
the signal. Each node publishes its own keys' events only: on a Redis Cluster every master is
subscribed to, one connection each.
"""

import logging
import re

from redis.asyncio import Redis
from redis.exceptions import RedisClusterException, RedisError

from busi.adapters.redis_client import NO_HANDSHAKE
from busi.adapters.stock import stock_key

log = logging.getLogger(__name__)
# Every product's stock key, on any database; other strategies' stock ({p1}-twostores-stock) and
# the ledger ({p1}-stock-added) match the glob or not, and are told apart by product_of_channel.
KEYSPACE_PATTERN = "__keyspace@*__:{p*}-stock"
_STOCK_CHANNEL = re.compile(r"__keyspace@\d+__:\{p(\d+)\}-stock")
NOTIFY_SETTING = "notify-keyspace-events"
# What the stream needs of that setting: keyspace events (K) of string commands ($).
NEEDED_FLAGS = "K$"
ERRORS = (RedisError, RedisClusterException, OSError)


def product_of_channel(channel):
    """The product whose stock a keyspace channel names, or None for any other key."""
    match = _STOCK_CHANNEL.fullmatch(channel.decode() if isinstance(channel, bytes) else channel)
    return int(match[1]) if match else None


async def masters(redis, reached_at):
    """[(host, port)] of the servers whose keyspace events to follow: the one Redis, or every
    master of the cluster as the cluster says now (a failover may have moved one), each at the
    address this machine reaches it at (reached_at: Config.node_addresses())."""
    if not hasattr(redis, "get_primaries"):
        kwargs = redis.connection_pool.connection_kwargs
        return [(kwargs["host"], kwargs["port"])]
    nodes = await redis.cluster_nodes()
    announced = (address.rsplit(":", 1) for address, node in nodes.items() if "master" in node["flags"])
    return sorted(reached_at.get((host, int(port)), (host, int(port))) for host, port in announced)


async def follow(address, on_change, on_subscribed):
    """Subscribe to one node's stock key events and call on_change(product_id) for each, until
    the connection fails (raised). on_subscribed() once subscribed: whatever changed before
    went unseen, so the caller reads again."""
    host, port = address
    # Its own connection, without a read timeout: a quiet shop sends nothing for hours.
    node = Redis(host=host, port=port, **NO_HANDSHAKE)
    try:
        warn_unless_notifying(address, await node.config_get(NOTIFY_SETTING))
        async with node.pubsub() as pubsub:
            await pubsub.psubscribe(KEYSPACE_PATTERN)
            log.info("following the stock keys' events of Redis %s:%s", host, port)
            on_subscribed()
            async for message in pubsub.listen():
                product_id = message["type"] == "pmessage" and product_of_channel(message["channel"])
                if product_id:
                    on_change(product_id)
    finally:
        await node.aclose()


def warn_unless_notifying(address, setting):
    flags = setting.get(NOTIFY_SETTING, "")
    if not {"K", "$"} <= set(flags.replace("A", "$")):  # A: every class of command, $ among them
        log.warning(
            "Redis %s:%s has %s=%r: it sends no stock change, and streams show the first stock only; "
            "run CONFIG SET %s %s (scripts/stack.sh does)",
            *address,
            NOTIFY_SETTING,
            flags,
            NOTIFY_SETTING,
            NEEDED_FLAGS,
        )


async def read_stocks(redis, product_ids):
    """{product_id: units left, or None for a product without a stock key}, in one round trip
    (per shard on a cluster)."""
    pipe = redis.pipeline(transaction=False) if not hasattr(redis, "get_primaries") else redis.pipeline()
    for product_id in product_ids:
        pipe.get(stock_key(product_id))
    values = await pipe.execute()
    return {p: None if value is None else int(value) for p, value in zip(product_ids, values, strict=True)}
