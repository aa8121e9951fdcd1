"""Toxiproxy's HTTP API (scripts/stack.sh rtt-up starts it): the links between tiers, their
latency (bench --rtt) and their faults (the network rows of crash_sim/faults.py).

A few JSON calls, made with requests: the PyPI client was last released in 2019.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import requests

from busi.config import RTT_STACK

API = f"http://127.0.0.1:{RTT_STACK['toxiproxy_port']}"
LINKS = tuple(RTT_STACK["proxies"])  # the proxies scripts/stack.sh rtt-up creates, one per link
REPLIES, REQUESTS = "downstream", "upstream"  # a link's two directions
SILENT = {"timeout": 0}  # every byte dropped, the connection left open: nothing tells the sender


def set_rtt(rtt_ms):
    """Every link's round trip lengthened by rtt_ms: a latency toxic on its answers (downstream),
    so that each request-and-answer pays it once. Whole milliseconds only (Toxiproxy's unit)."""
    reset()
    if rtt_ms:
        for link in LINKS:
            toxic = {"name": "rtt", "type": "latency", "stream": REPLIES, "attributes": {"latency": rtt_ms}}
            requests.post(f"{API}/proxies/{link}/toxics", json=toxic, timeout=5).raise_for_status()


def reset():
    """No toxic on any link, every proxy enabled."""
    requests.post(f"{API}/reset", timeout=5).raise_for_status()


def add(link, name, kind, stream, toxicity=1.0, **attributes):
    """A toxic on one direction of one link: stream "upstream" (requests to the server behind
    the proxy) or "downstream" (its answers). kind: latency, timeout, reset_peer, limit_data..."""
    toxic = {"name": name, "type": kind, "stream": stream, "toxicity": toxicity, "attributes": attributes}
    requests.post(f"{API}/proxies/{link}/toxics", json=toxic, timeout=5).raise_for_status()


def remove(link, name):
    """Heal one toxic."""
    requests.delete(f"{API}/proxies/{link}/toxics/{name}", timeout=5).raise_for_status()


@dataclass(frozen=True)
class Toxic:
    link: str  # a proxy of busi/config.py's RTT_STACK: mysql, redis, dtm, busi (DTM to the service)
    kind: str  # Toxiproxy's: latency, timeout, reset_peer ...
    stream: str  # REPLIES or REQUESTS
    attributes: dict
    then_s: float  # how long to wait once it is on, before the next step

    @contextmanager
    def on(self):
        """On for the block; healed after it, whatever happened."""
        name = f"fault-{self.kind}-{self.stream}"
        add(self.link, name, self.kind, self.stream, **self.attributes)
        try:
            yield
        finally:
            remove(self.link, name)
