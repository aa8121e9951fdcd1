"""Prometheus metrics at /metrics, in prometheus_client's multi-process mode: gunicorn runs
several worker processes, each writes its values to files in PROMETHEUS_MULTIPROC_DIR (set
by busi/server/gunicorn_conf.py before any worker starts), and a scrape adds them up. Without that
variable (tests, `flask run`) the process's own registry is shown."""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

PURCHASES = Counter("busi_purchases_total", "Purchases answered, by strategy and outcome", ["strategy", "outcome"])
PURCHASE_SECONDS = Histogram("busi_purchase_seconds", "Time to answer a purchase", ["strategy"])
DTM_CALL_SECONDS = Histogram("busi_dtm_call_seconds", "Calls to the DTM server, by operation", ["operation"])
BRANCH_CALLS = Counter(
    "busi_branch_calls_total", "Branch calls (from DTM), by branch and outcome", ["branch", "outcome"]
)
ORDERS_CREATED = Counter("busi_orders_created_total", "Orders created (createOrder's first delivery)")
BACK_QUERIES = Counter("busi_back_queries_total", "Back-queries answered, by result", ["result"])
CRASHES = Counter("busi_crashes_injected_total", "Processes killed on purpose, by crash point", ["point"])


def outcome(status):
    """An HTTP status as an outcome label."""
    if status == 200:
        return "ok"
    if status == 409:
        return "no"  # sold out, declined, rolled back: DTM's FAILURE
    return "refused" if status < 500 else "error"


# The live page's chart lines, from the purchases' outcome labels.
CHART_LINES = {"ok": "bought", "no": "sold_out", "refused": "error", "error": "error"}


def purchase_totals():
    """Purchases answered so far, every worker's, by chart line: {"bought": n, ...}."""
    totals = dict.fromkeys(CHART_LINES.values(), 0)
    for family in _registry().collect():
        for sample in family.samples:
            if sample.name == "busi_purchases_total":
                totals[CHART_LINES[sample.labels["outcome"]]] += int(sample.value)
    return totals


def exposition():
    """A scrape, as a Flask answer."""
    return generate_latest(_registry()), 200, {"Content-Type": CONTENT_TYPE_LATEST}


def _registry():
    if MULTIPROC_DIR not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
