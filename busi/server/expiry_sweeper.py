"""The expiry sweeper: a thread in every gunicorn worker (gunicorn_conf.post_worker_init),
of which one sweeps each second, whichever takes the lease first.

The lease is a Redis key set with NX and a time to live of one period, never released: a
worker that dies mid-sweep holds nothing past it, and there is no owner to check. Two sweeps
at once (a sweep slower than its lease) would only start the same sagas twice, which DTM takes
as one (busi/domain/expiry.py), so the lease saves work and guards no invariant.
"""

import logging
import os
import random
import socket
import threading
import time

from busi.domain import expiry

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 1.0
LEASE_KEY = "expiry-sweeper-lease"


def start_thread(svc):
    thread = threading.Thread(target=run, args=(svc,), name="expiry-sweeper", daemon=True)
    thread.start()
    return thread


def run(svc):
    holder = f"{socket.gethostname()}:{os.getpid()}"
    while True:
        # A period, not a condition: a random phase keeps the workers from trying in step.
        time.sleep(SWEEP_EVERY_S * random.uniform(0.5, 1.0))
        try:
            if svc.redis.set(LEASE_KEY, holder, nx=True, px=int(SWEEP_EVERY_S * 1000)):
                expired = expiry.sweep(svc)
                if expired:
                    log.info("expiry sweep: %s sagas started", expired)
        except Exception as err:  # a store down: the orders stay due, and the next period retries
            log.warning("expiry sweep skipped: %s: %s", type(err).__name__, err)
