"""A crowd of viewers of one product's stock stream, for stream_bench: many open streams read
by one asyncio loop in a thread of its own, each event's arrival timed as it is read.

Each viewer is a bare asyncio Protocol, not an HTTP client library: it sends one GET and looks
for the events' `read_at` in what comes back, so that a thousand of them cost the driver little
and the arrival times are the loop's, not a parser's queue's. The loop's own lag (how late a
10 ms sleep wakes) is measured too: arrivals are timed no later than that after they came.
"""

import asyncio
import re
import threading
import time
from urllib.parse import urlsplit

_READ_AT = re.compile(rb'"read_at": ([0-9.]+)')
OPEN_AT_ONCE = 100  # connections opened together; the server's backlog takes the rest
LAG_TICK_S = 0.01


class Stream(asyncio.Protocol):
    """One viewer: .arrivals lists (read_at, arrival) of every event, both on this machine's clock."""

    def __init__(self, request):
        self.request = request
        self.arrivals = []
        self.first = asyncio.get_running_loop().create_future()
        self.transport = None
        self._buffer = b""

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        now = time.time()
        self._buffer += data
        end = self._buffer.rfind(b"\n\n")  # the end of the last whole event
        if end < 0:
            return
        whole, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
        self.arrivals += [(float(read_at), now) for read_at in _READ_AT.findall(whole)]
        if self.arrivals and not self.first.done():
            self.first.set_result(None)

    def connection_lost(self, exc):
        if not self.first.done():
            self.first.set_exception(ConnectionError(f"the stream closed before its first event ({exc})"))


class Crowd:
    """`count` streams of url, open from __init__ (each with its first event) until close()."""

    def __init__(self, url, count, deadline_s=60):
        self.loop = asyncio.new_event_loop()
        self.lags = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.streams = self._call(self._open(url, count), deadline_s)
        self._cpu_start = self._call(self._thread_cpu(), 5)
        self.loop.call_soon_threadsafe(self._start_lag_probe)

    def _call(self, coroutine, timeout_s):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    async def _open(self, url, count):
        parts = urlsplit(url)
        request = f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode()
        streams = []
        for start in range(0, count, OPEN_AT_ONCE):
            opened = await asyncio.gather(
                *(
                    self.loop.create_connection(lambda: Stream(request), parts.hostname, parts.port)
                    for _ in range(min(OPEN_AT_ONCE, count - start))
                )
            )
            streams += [stream for _, stream in opened]
        await asyncio.gather(*(stream.first for stream in streams))
        return streams

    async def _thread_cpu(self):
        return time.thread_time()

    def _start_lag_probe(self):
        async def probe():
            while True:
                before = time.monotonic()
                await asyncio.sleep(LAG_TICK_S)
                self.lags.append(time.monotonic() - before - LAG_TICK_S)

        self._lag = self.loop.create_task(probe())

    def cpu_s(self):
        """CPU time the crowd's thread used since the streams were open."""
        return self._call(self._thread_cpu(), 5) - self._cpu_start

    def close(self):
        async def close_all():
            self._lag.cancel()
            for stream in self.streams:
                stream.transport.close()

        self._call(close_all(), 30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        self.loop.close()
