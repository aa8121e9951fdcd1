"""Crash points: where the service dies on purpose, for the demos and the fault matrix. The
serving process really dies, like a kill -9 or a power cut.

os._exit skips every finally block, atexit hook and buffered write, so nothing gets the
chance to finish the step: only DTM (its back-query, or its retry of a branch) can.
A request arms at most one point by name (`flashSales-crash?at=after_submit`); points
reached inside a branch travel there in the transaction's branch_headers, under HEADER.
"""

import logging
import os

from busi.adapters import metrics

# Not 3 or 4: gunicorn's arbiter shuts the whole server down when a worker exits with
# those (worker boot error, app load error). Any other code just gets a new worker.
CRASH_EXIT_CODE = 86

# name -> where the process dies; the fault matrix (crash_sim/faults.py) has a row for each.
POINTS = {
    "after_prepare": "the purchase dies after prepare, before the deduction",
    "after_deduct": "the purchase dies after the deduction attempt, before submit or abort",
    "after_submit": "the purchase dies after submit, before answering",
    "after_order_commit": "createOrder dies after its commit, before answering",
}
DEFAULT_POINT = "after_deduct"  # the batch's and the README's crash
# Reached in a branch that DTM calls, not in the request itself: armed through the
# transaction's branch_headers. The payment saga's one dies between its two branches.
PAY_POINTS = {"after_charge": "charge dies after its commit, before answering (before markPaid)"}
BRANCH_POINTS = {"after_order_commit", *PAY_POINTS}
HEADER = "Crash-At"

log = logging.getLogger(__name__)


def point(armed, name, gid):
    """Die here if the request armed this point."""
    if armed == name:
        metrics.CRASHES.labels(name).inc()
        die(f"gid={gid} at {name}: {POINTS.get(name) or PAY_POINTS[name]}")


def die(where):
    log.critical("crashing on purpose (pid %s, exit code %s): %s", os.getpid(), CRASH_EXIT_CODE, where)
    logging.shutdown()  # flush the log line above; nothing else is flushed
    os._exit(CRASH_EXIT_CODE)
