"""The stock feed: the products' stock, read once per burst of changes, handed to every viewer.

The stores say which products changed (changed()); one reader (run()) reads the changed
products that someone watches, all together, and offers each reading to that product's viewers.
Changes that come while it reads, or in the pause after (pause_after), are read together next:
a sale of hundreds of purchases a second costs a few reads a second, each serving every viewer.
A viewer holds the latest reading it has not sent yet, so a slow one skips to the newest value.
"""

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

log = logging.getLogger(__name__)
# After a read, the reader waits before the next one, gathering the changes meanwhile: at least
# MIN_PAUSE_S, and as long as the viewers it has just served take at UPDATES_PER_S. Each update
# is one write to one viewer's socket, ~40 us of the stream server's CPU (most of it the send
# itself, docs/live-stock.md), on the cores the purchases use: 2,000 a second hold the server
# near a tenth of a core, whatever the number of viewers. 1,000 viewers of one product: a new
# value every 0.5 s at most; 50: every 0.1 s. Past ~2,000 viewers a process, a change waits
# over a second: more stream servers then, each subscribed to the stores.
UPDATES_PER_S = 2000
MIN_PAUSE_S = 0.1
RETRY_S = 0.5  # after a read that failed (a shard down), the same products again


@dataclass(frozen=True)
class Reading:
    product_id: int
    stock: int | None  # None: the product has no stock (unknown)
    read_at: float  # the server's clock (time.time()) when the read began


class Viewer:
    """One open stream: the readings of its product, newest first, each value once. First
    awaited (next()), then, once attached to a sink, handed to it as they come."""

    def __init__(self, product_id):
        self.product_id = product_id
        self._sent = None  # the last reading next() returned, or the sink was given
        self._pending = None
        self._ready = asyncio.Event()
        self._sink = None

    def offer(self, reading):
        last = self._pending or self._sent
        if last is not None and reading.stock == last.stock:
            return
        if self._sink:
            self._sent, self._pending = reading, None
            self._sink(reading)
        else:
            self._pending = reading
            self._ready.set()

    def attach(self, sink):
        """From now on each new reading goes to sink(reading), a plain call from the reader:
        no coroutine is woken per viewer, which was a quarter of the server's CPU with 1,000
        viewers (docs/live-stock.md). A reading offered since the last next() goes at once."""
        self._sink = sink
        pending, self._pending = self._pending, None
        if pending:
            self.offer(pending)

    async def next(self):
        """The next reading with a new value (the first one: whatever the stock is)."""
        await self._ready.wait()
        self._ready.clear()
        self._sent, self._pending = self._pending, None
        return self._sent


class StockFeed:
    """read: an async function [product_id] -> {product_id: units or None} (one round trip);
    read_errors: what it raises when a store is unreachable."""

    def __init__(self, read, read_errors=(OSError,), updates_per_s=UPDATES_PER_S, min_pause_s=MIN_PAUSE_S):
        self._read, self._read_errors = read, read_errors
        self._updates_per_s, self._min_pause_s = updates_per_s, min_pause_s
        self._viewers = defaultdict(set)
        self._dirty = set()
        self._wake = asyncio.Event()
        self.reads = 0
        self.changes = 0

    def watch(self, product_id):
        """A new viewer of the product; its first reading comes with the next read."""
        viewer = Viewer(product_id)
        self._viewers[product_id].add(viewer)
        self._mark(product_id)
        return viewer

    def leave(self, viewer):
        viewers = self._viewers[viewer.product_id]
        viewers.discard(viewer)
        if not viewers:
            del self._viewers[viewer.product_id]

    def changed(self, product_id):
        """The store says the product's stock changed; read only if someone watches it."""
        self.changes += 1
        if product_id in self._viewers:
            self._mark(product_id)

    def resync(self):
        """Changes may have gone unseen (a subscription lost and made again): read everything watched."""
        for product_id in self._viewers:
            self._mark(product_id)

    def stats(self):
        return {
            "viewers": sum(map(len, self._viewers.values())),
            "products": len(self._viewers),
            "changes": self.changes,
            "reads": self.reads,
        }

    def _mark(self, product_id):
        self._dirty.add(product_id)
        self._wake.set()

    async def run(self):
        """Forever: wait for a change, read every changed product at once, offer the readings."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            product_ids, self._dirty = sorted(self._dirty & self._viewers.keys()), set()
            if not product_ids:
                continue
            read_at = time.time()
            try:
                stocks = await self._read(product_ids)
            except self._read_errors as err:
                log.warning("reading the stock of products %s failed (%s); again in %s s", product_ids, err, RETRY_S)
                self._dirty.update(product_ids)
                await asyncio.sleep(RETRY_S)
                self._wake.set()
                continue
            self.reads += 1
            served = 0
            for product_id, units in stocks.items():
                reading = Reading(product_id, units, read_at)
                for viewer in self._viewers.get(product_id, ()):
                    viewer.offer(reading)
                    served += 1
            await asyncio.sleep(self.pause_after(served))  # the changes meanwhile are read together next

    def pause_after(self, served):
        """Seconds to wait after a read that `served` viewers, before the next read."""
        return max(self._min_pause_s, served / self._updates_per_s)
