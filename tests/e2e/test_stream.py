"""The stock stream (GET products/ID/stream on the stream server, docs/live-stock.md) against the
running stack: the stock first, then each change a purchase or a restock makes, pushed to every
viewer; bad ids answered with JSON errors, nothing changed."""

import json
import threading

import pytest
import requests

from crash_sim import stack
from tests.conftest import wait_until

DEADLINE_S = 10


class Viewer:
    """One open stream, read by a thread of its own: .stocks, the values received in order."""

    def __init__(self, config, product_id):
        url = f"{config.stream_url}/products/{product_id}/stream"
        self.response = requests.get(url, stream=True, timeout=(5, 60))
        self.response.raise_for_status()
        self.stocks = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in self.response.iter_lines():
                if line.startswith(b"data: "):
                    self.stocks.append(json.loads(line[len(b"data: ") :])["stock"])
        except (requests.RequestException, AttributeError):  # closed by the test
            pass

    def saw(self, *stocks):
        """Whether the values received so far are these, in this order (polled with a deadline)."""
        return wait_until(lambda: self.stocks == list(stocks), DEADLINE_S)

    def close(self):
        # Shut the socket first: the reading thread, blocked in recv, returns at once. A plain
        # close waits for that thread's lock, up to the read timeout (60 s) on a quiet stream.
        self.response.raw.shutdown()
        self.response.close()


@pytest.fixture
def viewer(config):
    """viewer(product_id) -> a Viewer of that product's stream, closed after the test."""
    opened = []

    def open_(product_id):
        opened.append(Viewer(config, product_id))
        return opened[-1]

    yield open_
    for one in opened:
        one.close()


def stream_stats(config):
    return requests.get(f"{config.stream_url}/streams", timeout=5).json()


def test_a_stream_starts_with_the_stock_and_a_purchase_lowers_it(busi, new_product, viewer):
    product = new_product(5)
    watching = viewer(product)
    assert watching.saw(5)
    assert busi.purchase(41, product).status_code == 200
    assert watching.saw(5, 4)


def test_a_restock_raises_it(busi, new_product, viewer):
    product = new_product(2)
    watching = viewer(product)
    assert watching.saw(2)
    busi.post(f"products/{product}/restock", units=3).raise_for_status()
    assert watching.saw(2, 5)


def test_many_viewers_get_one_change_from_one_read(busi, config, new_product, viewer):
    product = new_product(3)
    crowd = [viewer(product) for _ in range(50)]
    assert all(one.saw(3) for one in crowd)
    reads = stream_stats(config)["reads"]
    assert busi.purchase(42, product).status_code == 200
    assert all(one.saw(3, 2) for one in crowd)
    assert stream_stats(config)["reads"] == reads + 1


@pytest.mark.parametrize("product_id, status", [("abc", 400), ("0", 400), ("1.5", 400), ("999999999", 404)])
def test_a_bad_id_is_a_json_error_and_changes_nothing(config, product_id, status):
    before = stream_stats(config)
    response = requests.get(f"{config.stream_url}/products/{product_id}/stream", timeout=10)
    assert response.status_code == status
    assert isinstance(response.json()["error"], str) and response.json()["error"]
    after = stream_stats(config)
    assert (after["viewers"], after["products"]) == (before["viewers"], before["products"])


def test_a_stream_goes_on_after_its_redis_shard_restarts(busi, config, new_product, viewer):
    """HA=1: the shard holding the product's stock is killed and started again (its append-only
    file brings the stock back); the server subscribes again, reads again, and the stream goes on."""
    if not config.ha:
        pytest.skip("a shard of the HA stack's Redis Cluster (make up-ha)")
    product = new_product(5)
    watching = viewer(product)
    assert watching.saw(5)
    stack.kill(stack.redis_shard(f"{{p{product}}}-stock"))
    stack.start("redis")
    assert wait_until(lambda: busi.purchase(43, product).status_code == 200, DEADLINE_S)
    assert watching.saw(5, 4)
