"""The stock stream: GET /api/busi/products/{id}/stream, Server-Sent Events, on the stream
server (busi/server/stream.py, aiohttp), not on gunicorn, whose sync workers would each be
held by one viewer for as long as the page stays open.

Each event is `event: stock` with `data: {"product_id": 1, "stock": 41, "read_at": <the server's
time.time() when the read began>}`: the first with the stock now, then one for each new value
(busi/domain/stock_feed.py). Errors are JSON, shaped as the service's (busi/entrypoints/errors.py).
"""

import asyncio
import json
import logging
from functools import lru_cache

from aiohttp import HttpVersion11, web

from busi.config import API_PREFIX
from busi.domain.refusals import InvalidInput
from busi.entrypoints.inputs import parse_int
from saga.result import scrub

log = logging.getLogger(__name__)
FIRST_READING_S = 5  # the first stock must come within this, or the store is unreachable: a 503
RETRY_MS = 1000  # how soon a browser's EventSource connects again after losing the stream
FEED = web.AppKey("feed")
SLOW_VIEWER_BYTES = 64 * 1024  # ~800 events unread: the viewer is gone or stuck


def create_app(feed):
    """The stream server's app around a running StockFeed."""
    app = web.Application(middlewares=[json_errors])
    app[FEED] = feed
    app.router.add_get(API_PREFIX + "/products/{product_id}/stream", stream)
    app.router.add_get(API_PREFIX + "/streams", streams)
    return app


def error(status, message):
    return web.json_response({"error": scrub(message)}, status=status)


@web.middleware
async def json_errors(request, handler):
    """aiohttp's own answers (an unknown path, a method not allowed) as JSON errors too."""
    try:
        return await handler(request)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        return error(err.status, f"{err.reason}: {request.method} {request.path}")


async def streams(request):
    """The feed's counts: viewers, products watched, changes seen and reads made since the start."""
    return web.json_response(request.app[FEED].stats())


async def stream(request):
    try:
        product_id = parse_int(request.match_info, "product_id", minimum=1)
    except InvalidInput as err:
        return error(400, f"{err}: the path is {API_PREFIX}/products/<id>/stream")
    feed = request.app[FEED]
    viewer = feed.watch(product_id)
    try:
        try:
            reading = await asyncio.wait_for(viewer.next(), FIRST_READING_S)
        except TimeoutError:
            return error(503, f"the stock of product {product_id} could not be read within {FIRST_READING_S} s")
        if reading.stock is None:
            return error(404, f"no product {product_id}: see GET {API_PREFIX}/products")
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                # The product page is the purchase service's (another port): the stock is
                # public, so any page may read it, as GET stock; no credential is sent or read.
                "Access-Control-Allow-Origin": "*",
            }
        )
        await response.prepare(request)
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        await response.write(event(reading))
        viewer.attach(push_to(request))
        await asyncio.get_running_loop().create_future()  # until aiohttp cancels it: the viewer went away
    finally:
        feed.leave(viewer)


def push_to(request):
    """The viewer's sink: each reading written straight to its socket, framed as the response's
    chunked body (HTTP/1.1) or raw (1.0). A viewer that has left SLOW_VIEWER_BYTES unread is
    closed: its browser connects again (retry) and starts from the stock then."""
    transport, chunked = request.transport, request.version >= HttpVersion11

    def push(reading):
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > SLOW_VIEWER_BYTES:
            log.info("a viewer of product %s reads too slowly: closed", reading.product_id)
            transport.close()
            return
        transport.write(chunk(reading) if chunked else event(reading))

    return push


@lru_cache(maxsize=1024)  # one reading goes to every viewer of its product: encoded once, not per viewer
def event(reading):
    data = {"product_id": reading.product_id, "stock": reading.stock, "read_at": round(reading.read_at, 6)}
    return f"event: stock\ndata: {json.dumps(data)}\n\n".encode()


@lru_cache(maxsize=1024)
def chunk(reading):
    """event(reading) as one chunk of a chunked body (RFC 9112, 7.1)."""
    data = event(reading)
    return b"%x\r\n%s\r\n" % (len(data), data)
