"""Waiting for a condition the stores will reach, with a deadline (never a bare sleep)."""

import time


def until(condition, deadline_s, what, interval_s=0.2):
    """Poll condition() until it holds; the seconds it took. TimeoutError, naming `what`,
    if it still does not hold after deadline_s."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > deadline_s:
            raise TimeoutError(f"{what}: not within {deadline_s} s")
        time.sleep(interval_s)
    return time.monotonic() - start
