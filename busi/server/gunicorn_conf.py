"""gunicorn settings, from the one configuration table (busi/config.py).

Sync workers, one request per process: when the crash endpoint kills its process, only
that purchase dies; gunicorn's arbiter starts a new worker and the others go on.
"""

import json
import os
import shutil
from pathlib import Path

from gunicorn import util

from busi.config import Config, is_loopback
from saga.result import scrub

_config = Config.from_env()
# Every worker writes its metrics here (busi/adapters/metrics.py); set before any worker imports them.
# BUSI_DIR: this instance's folder (scripts/stack.sh: .run/busi, or .run/busi-N on the HA stack).
_instance_dir = Path(os.environ.get("BUSI_DIR", Path(_config.run_dir) / "busi"))
_metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_instance_dir / "metrics")))
# Imported here, once the folder is set, and not inside child_exit: that runs in a signal handler,
# and two workers dying together used to re-enter a half-done import and stop the arbiter.
from prometheus_client import multiprocess  # noqa: E402

bind = f"{_config.busi_host}:{_config.busi_port}"
workers = _config.busi_workers
worker_class = "sync"
timeout = 120  # a worker may stream the batch for up to ~50 s
backlog = 2048  # a flash sale's crowd waits here for a free worker
capture_output = True  # the app's logs (with gids) go to the error log file
loglevel = "info"


def _write_json_error(sock, status_int, reason, mesg):
    """gunicorn answers a request it cannot parse (a request line over 4094 bytes, a bad
    header) itself, before Flask, with an HTML page; every answer of this API is JSON."""
    body = json.dumps({"error": scrub(f"{reason}: {mesg[:200]}" if mesg else reason)}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


util.write_error = _write_json_error  # gunicorn 23 (pinned) calls util.write_error for these


def on_starting(server):
    """A new master starts the metrics from zero: the files of dead workers would add up."""
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True)


def when_ready(server):
    """A -b on gunicorn's command line overrides BUSI_HOST, which Config checked: refuse here too
    to serve the operator's endpoints without a credential on a socket other hosts can reach."""
    exposed = [f"{host}:{port}" for host, port, *_ in _tcp_addresses(server) if not is_loopback(host)]
    if exposed and _config.operator_open:
        reason = (
            f"listening on {', '.join(exposed)}, reachable from other hosts, with OPERATOR_OPEN=1: anyone there "
            "could reset the sale. Bind 127.0.0.1, or set OPERATOR_OPEN=0 (docs/security.md)"
        )
        server.log.error(reason)
        server.halt(reason=reason, exit_status=1)


def _tcp_addresses(server):
    """The addresses gunicorn listens on; a Unix socket's is a path, reachable from this machine only."""
    names = [listener.sock.getsockname() for listener in server.LISTENERS]
    return [name for name in names if isinstance(name, tuple)]


def post_worker_init(worker):
    """Each worker also runs the expiry sweeper, in a thread (busi/server/expiry_sweeper.py)."""
    from busi.server import expiry_sweeper

    expiry_sweeper.start_thread(worker.wsgi.extensions["busi"])


def child_exit(server, worker):
    """A worker gone (a crash included): its gauges go with it, its counters stay counted.
    This runs in the arbiter's SIGCHLD handler, where an exception stops the whole server."""
    try:
        multiprocess.mark_process_dead(worker.pid)
    except OSError as err:
        server.log.warning("metrics of worker %s not cleaned up: %s", worker.pid, err)
