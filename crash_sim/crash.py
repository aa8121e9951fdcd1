"""The crash point: the serving process really dies, like a kill -9 or a power cut.

os._exit skips every finally block, atexit hook and buffered write, so nothing gets the
chance to submit the message: only DTM's back-query can finish the purchase.
"""
import logging
import os

# Not 3 or 4: gunicorn's arbiter shuts the whole server down when a worker exits with
# those (worker boot error, app load error). Any other code just gets a new worker.
CRASH_EXIT_CODE = 86

log = logging.getLogger(__name__)


def die(where):
    log.critical("crashing on purpose (pid %s, exit code %s): %s", os.getpid(), CRASH_EXIT_CODE, where)
    logging.shutdown()  # flush the log line above; nothing else is flushed
    os._exit(CRASH_EXIT_CODE)
