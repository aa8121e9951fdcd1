"""Toxiproxy's HTTP API (scripts/stack.sh rtt-up starts it): the latency of the links between tiers.

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
