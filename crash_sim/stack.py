"""The local stack's servers, killed and brought back through scripts/stack.sh, the same
script that started them (it knows their pid files and checks them)."""

import csv
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from busi.adapters import redis_client
from busi.config import REPO_DIR, Config

STACK = REPO_DIR / "scripts" / "stack.sh"
SERVERS = ("redis", "mysql", "dtm", "busi")
HEALTHY_DEADLINE_S = 90


class StackError(Exception):
    """The stack script failed; its output says why."""


def stack(*args):
    env = {**os.environ, "PY": sys.executable}
    result = subprocess.run(["bash", str(STACK), *args], env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise StackError(f"scripts/stack.sh {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def pid(server):
    """The pid of a running server (the gunicorn master for busi), as text: on the HA stack
    redis, dtm and busi name several, and their pids come space-separated."""
    return stack("pid", server).strip()


def kill(server):
    """SIGKILL, as a crash or the OOM killer would."""
    stack("kill", server)


def stop(server):
    """A clean shutdown, as an operator's or a failover's."""
    stack("stop", server)


def start(server):
    """Bring a server back: the business service alone, or the servers (which also
    re-applies the schema, idempotently)."""
    stack("busi-start" if server.startswith("busi") else "up")  # busi-1: one of the HA stack's


def redis_shard(key, own=True):
    """The name (redis-PORT) of the Redis Cluster master holding `key`, or of another one."""
    cluster = redis_client.connect(Config.from_env())
    holder = cluster.get_node_from_key(key)
    ports = sorted(node.port for node in cluster.get_primaries())
    cluster.close()
    return f"redis-{holder.port if own else next(p for p in ports if p != holder.port)}"


def times_taken_out(backend, server):
    """How often HAProxy's health checks have taken one server of the HA stack out of its
    pool (chkdown, read from HAProxy's stats socket, which scripts/ha.sh opens)."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(Path(Config.from_env().run_dir) / "haproxy" / "haproxy.sock"))
        conn.sendall(b"show stat\n")
        answer = b"".join(iter(lambda: conn.recv(65536), b"")).decode()
    for row in csv.DictReader(answer.removeprefix("# ").splitlines()):
        if (row["pxname"], row["svname"]) == (backend, server):
            return int(row["chkdown"])
    raise StackError(f"HAProxy has no server {server} in its backend {backend}")


def wait_healthy(busi_url):
    """Poll the service's /health (Redis, MySQL and DTM from a worker) until it answers 200."""
    deadline = time.monotonic() + HEALTHY_DEADLINE_S
    while True:
        try:
            if requests.get(f"{busi_url}/health", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() >= deadline:
            raise StackError(f"the service at {busi_url} was not healthy within {HEALTHY_DEADLINE_S} s")
        time.sleep(0.2)
