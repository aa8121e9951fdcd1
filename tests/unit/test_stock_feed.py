"""The stock feed (busi/domain/stock_feed.py), with a fake store: one read per burst of changes,
each viewer handed every new value once, the newest when it lags; the keyspace channels; and
the stream's answers (busi/entrypoints/stream.py) on a server of its own."""

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from busi.adapters.stock_changes import product_of_channel
from busi.domain.stock_feed import Reading, StockFeed, Viewer
from busi.entrypoints.stream import FEED, create_app, event

DEADLINE_S = 2


class FakeStore:
    """Stocks in a dict; records each read's products; can fail the next reads."""

    def __init__(self, **stocks):
        self.stocks = {int(name[1:]): units for name, units in stocks.items()}
        self.reads = []
        self.failures = 0

    async def read(self, product_ids):
        if self.failures:
            self.failures -= 1
            raise OSError("store down")
        self.reads.append(product_ids)
        return {p: self.stocks.get(p) for p in product_ids}


def running(store, test):
    """Run test(feed) with the feed's reader going; its pauses shortened."""

    async def main():
        feed = StockFeed(store.read, min_pause_s=0.01)
        reader = asyncio.create_task(feed.run())
        try:
            await asyncio.wait_for(test(feed), DEADLINE_S)
        finally:
            reader.cancel()

    asyncio.run(main())


async def stocks(viewer, count):
    return [(await viewer.next()).stock for _ in range(count)]


def test_a_viewer_gets_the_stock_then_each_new_value():
    store = FakeStore(p1=5)

    async def test(feed):
        viewer = feed.watch(1)
        assert await stocks(viewer, 1) == [5]
        store.stocks[1] = 4
        feed.changed(1)
        assert await stocks(viewer, 1) == [4]

    running(store, test)


def test_a_burst_of_changes_is_one_read_for_every_viewer():
    store = FakeStore(p1=100)

    async def test(feed):
        viewers = [feed.watch(1) for _ in range(50)]
        for viewer in viewers:
            assert await stocks(viewer, 1) == [100]
        reads = len(store.reads)
        for left in range(99, 89, -1):  # ten purchases before the reader runs again
            store.stocks[1] = left
            feed.changed(1)
        for viewer in viewers:
            assert await stocks(viewer, 1) == [90]
        assert len(store.reads) == reads + 1

    running(store, test)


def test_changes_of_unwatched_products_are_not_read():
    store = FakeStore(p1=5, p2=7)

    async def test(feed):
        viewer = feed.watch(1)
        await stocks(viewer, 1)
        feed.changed(2)
        store.stocks[1] = 3
        feed.changed(1)
        await stocks(viewer, 1)
        assert [2] not in store.reads and feed.stats()["changes"] == 2

    running(store, test)


def test_an_unchanged_value_is_not_sent_again_and_a_resync_reads_everything_watched():
    store = FakeStore(p1=5, p2=7)

    async def test(feed):
        one, two = feed.watch(1), feed.watch(2)
        await stocks(one, 1), await stocks(two, 1)
        feed.resync()  # the values are the same: nothing new for the viewers
        store.stocks[2] = 6
        feed.changed(2)
        assert await stocks(two, 1) == [6]
        assert [1, 2] in store.reads
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(one.next(), 0.1)

    running(store, test)


def test_a_failed_read_is_made_again():
    store = FakeStore(p1=5)
    store.failures = 2

    async def test(feed):
        assert await stocks(feed.watch(1), 1) == [5]

    running(store, test)


def test_the_pause_after_a_read_grows_with_the_viewers_it_served():
    feed = StockFeed(FakeStore().read, updates_per_s=2000, min_pause_s=0.1)
    assert [feed.pause_after(n) for n in (0, 50, 200, 1000, 4000)] == [0.1, 0.1, 0.1, 0.5, 2.0]


def test_a_lagging_viewer_skips_to_the_newest_reading():
    viewer = Viewer(1)
    for units in (5, 4, 3):
        viewer.offer(reading_of(units))

    async def test():
        return await stocks(viewer, 1)

    assert asyncio.run(test()) == [3]


def test_a_viewer_that_left_is_offered_nothing():
    store = FakeStore(p1=5)

    async def test(feed):
        viewer = feed.watch(1)
        await stocks(viewer, 1)
        feed.leave(viewer)
        assert feed.stats()["viewers"] == 0 and feed.stats()["products"] == 0

    running(store, test)


@pytest.mark.parametrize(
    "channel, product",
    [
        (b"__keyspace@0__:{p1}-stock", 1),
        ("__keyspace@0__:{p12345}-stock", 12345),
        (b"__keyspace@0__:{p1}-twostores-stock", None),
        (b"__keyspace@0__:{p1}-stock-added", None),
        (b"__keyspace@0__:{p1}-0123-01-msg-01", None),
    ],
)
def test_only_a_stock_key_s_channel_names_a_product(channel, product):
    assert product_of_channel(channel) == product


def test_an_event_carries_the_stock_and_when_it_was_read():
    assert event(reading_of(41, read_at=1.5)) == (
        b'event: stock\ndata: {"product_id": 1, "stock": 41, "read_at": 1.5}\n\n'
    )


def reading_of(units, read_at=0.0):
    return Reading(1, units, read_at)


def on_stream_server(store, test):
    """test(client) against the stream app, over HTTP, its feed reading the fake store."""

    async def with_client(feed):
        async with TestClient(TestServer(create_app(feed))) as client:
            await test(client)

    running(store, with_client)


@pytest.mark.parametrize("path, status", [("abc", 400), ("0", 400), ("-1", 400), ("1e3", 400), ("404", 404)])
def test_a_malformed_id_is_a_400_and_an_unknown_product_a_404_json(path, status):
    async def test(client):
        response = await client.get(f"/api/busi/products/{path}/stream")
        assert response.status == status
        assert isinstance((await response.json())["error"], str)

    on_stream_server(FakeStore(p1=5), test)


def test_an_open_stream_gets_each_new_value_written_as_a_chunk():
    store = FakeStore(p1=5)

    async def test(client):
        response = await client.get("/api/busi/products/1/stream")
        await response.content.readuntil(b"\n\n")  # retry
        assert b'"stock": 5' in await response.content.readuntil(b"\n\n")
        for units in (4, 2):
            store.stocks[1] = units
            client.app[FEED].changed(1)
            assert f'"stock": {units}'.encode() in await response.content.readuntil(b"\n\n")
        response.close()

    on_stream_server(store, test)


def test_an_attached_viewer_hands_each_new_value_to_its_sink_once():
    viewer, given = Viewer(1), []
    viewer.offer(Reading(1, 5, 0.0))
    viewer.attach(given.append)  # the reading offered before goes at once
    for units in (5, 4, 4, 3):
        viewer.offer(Reading(1, units, 0.0))
    assert [reading.stock for reading in given] == [5, 4, 3]


def test_a_stream_opens_with_the_stock():
    async def test(client):
        response = await client.get("/api/busi/products/1/stream")
        assert response.status == 200 and response.headers["Content-Type"] == "text/event-stream"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert await response.content.readuntil(b"\n\n") == b"retry: 1000\n\n"
        assert b'"stock": 5' in await response.content.readuntil(b"\n\n")
        response.close()

    on_stream_server(FakeStore(p1=5), test)
