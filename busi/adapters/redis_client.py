"""The Redis client (and its asyncio twin), made in one place: a single server, or a Redis Cluster (REDIS_CLUSTER=1,
the HA stack), whose client routes each command to the shard of its keys' hash tag."""

import redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

TIMEOUT_S = 5
# A new connection's first command is the caller's: no CLIENT SETINFO on connect (it only
# labels the connection in CLIENT LIST), and no health-check PING, which redis-py sends before
# a new connection's first command and after 30 s idle. With retries off, a PING that fails
# fails the command just as the command itself would have. Three round trips fewer.
NO_HANDSHAKE = {"lib_name": None, "lib_version": None}


def address_remap(config):
    """A cluster node's announced address -> the one this process reaches it at (REDIS_NODE_ADDRESSES)."""
    reached_at = config.node_addresses()
    return lambda announced: reached_at.get(announced, announced)


def connect(config):
    """Never retried by the client: a command whose reply was lost has an unknown outcome, and
    that is DoAndSubmit's to settle, through the back-query, not a resend's. Replies are
    parsed by hiredis (requirements.txt), which redis-py picks up by itself: GET /stock went
    from 1,389 to 1,633 requests/s with it."""
    if config.redis_cluster:
        # cluster_error_retry_attempts=0: a command to a dead shard fails at once, not after
        # three more tries, and is never sent twice.
        return RedisCluster.from_url(
            config.redis_url,
            address_remap=address_remap(config),
            socket_timeout=TIMEOUT_S,
            cluster_error_retry_attempts=0,
            retry=Retry(NoBackoff(), 0),
            **NO_HANDSHAKE,
        )
    return redis.Redis.from_url(config.redis_url, socket_timeout=TIMEOUT_S, retry=Retry(NoBackoff(), 0), **NO_HANDSHAKE)


def connect_async(config):
    """The same client for asyncio (the stock stream server, busi/server/stream.py), retried by
    no one either: its reader reads again after an error."""
    if config.redis_cluster:
        return AsyncRedisCluster.from_url(
            config.redis_url,
            address_remap=address_remap(config),
            socket_timeout=TIMEOUT_S,
            # One try: the asyncio cluster pipeline counts tries, not retries, and with 0 it sends
            # nothing and fails with an UnboundLocalError (redis-py 5.2.1).
            cluster_error_retry_attempts=1,
            **NO_HANDSHAKE,
        )
    return AsyncRedis.from_url(
        config.redis_url, socket_timeout=TIMEOUT_S, retry=AsyncRetry(NoBackoff(), 0), **NO_HANDSHAKE
    )
