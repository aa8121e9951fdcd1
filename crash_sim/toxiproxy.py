"""Toxiproxy's HTTP API (scripts/stack.sh rtt-up starts it): the links between tiers, their
latency (bench --rtt) and their faults (the network rows of crash_sim/faults.py).

A few JSON calls, made with requests: the PyPI client was last released in 2019.
"""

import requests

from busi.config import RTT_STACK

API = f"http://127.0.0.1:{RTT_STACK['toxiproxy_port']}"
LINKS = tuple(RTT_STACK["proxies"])  # the proxies scripts/stack.sh rtt-up creates, one per link


def set_rtt(rtt_ms):
    """Every link's round trip lengthened by rtt_ms: a latency toxic on its answers (downstream),
    so that each request-and-answer pays it once. Whole milliseconds only (Toxiproxy's unit)."""
    reset()
    if rtt_ms:
        for link in LINKS:
            toxic = {"name": "rtt", "type": "latency", "stream": "downstream", "attributes": {"latency": rtt_ms}}
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
