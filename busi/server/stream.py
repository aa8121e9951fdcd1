"""The stock stream server: `python -m busi.server.stream` (scripts/stack.sh starts it beside
gunicorn, on BUSI_HOST:STREAM_PORT). One asyncio process holds every open stream, so no
gunicorn worker waits on a viewer; it follows the stock keys' changes in Redis (one
subscription per master) and feeds them to the viewers (busi/domain/stock_feed.py).
"""

import asyncio
import logging
import resource

from aiohttp import web

from busi.adapters import redis_client, stock_changes
from busi.config import Config
from busi.domain.stock_feed import RETRY_S, StockFeed
from busi.entrypoints import stream

log = logging.getLogger("busi.stream")
TOPOLOGY_S = 5  # how often the cluster's masters are looked up again (one CLUSTER NODES)


async def follow_stores(config, redis, feed):
    """A subscription to every master's stock key events, each made again when it fails; a
    master that a failover moved is followed at its new address within TOPOLOGY_S."""
    followers = {}
    while True:
        try:
            addresses = set(await stock_changes.masters(redis, config.node_addresses()))
        except stock_changes.ERRORS as err:
            log.warning("could not list the Redis masters (%s); following the same ones", err)
            addresses = set(followers)
        for address in followers.keys() - addresses:
            log.info("Redis %s:%s is no longer a master: not following it", *address)
            followers.pop(address).cancel()
        for address in addresses - followers.keys():
            followers[address] = asyncio.create_task(follow_node(address, feed))
        await asyncio.sleep(TOPOLOGY_S)


async def follow_node(address, feed):
    while True:
        try:
            await stock_changes.follow(address, feed.changed, feed.resync)
        except stock_changes.ERRORS as err:
            log.warning("lost Redis %s:%s's stock events (%s); subscribing again in %s s", *address, err, RETRY_S)
        await asyncio.sleep(RETRY_S)


async def serve(config):
    redis = redis_client.connect_async(config)
    feed = StockFeed(lambda ids: stock_changes.read_stocks(redis, ids), stock_changes.ERRORS)
    tasks = [asyncio.create_task(feed.run()), asyncio.create_task(follow_stores(config, redis, feed))]
    # handler_cancellation: a viewer that goes away ends its handler at once, not at the next write.
    runner = web.AppRunner(stream.create_app(feed), handler_cancellation=True, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, config.busi_host, config.stream_port, backlog=2048).start()
    log.info("serving the stock streams on %s:%s", config.busi_host, config.stream_port)
    try:
        await asyncio.gather(*tasks)
    finally:
        await runner.cleanup()
        await redis.aclose()


def raise_open_files_limit():
    """Each viewer is a socket: a thousand of them pass a default soft limit of 1,024 files."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main():
    raise_open_files_limit()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s")
    try:
        asyncio.run(serve(Config.from_env()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
