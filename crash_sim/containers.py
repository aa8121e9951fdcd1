"""The Docker stack's faults (docker-compose.yml; make compose-test runs them): a container's main
process SIGKILLed during a sale, as a crash or the OOM killer would, and brought back by the
container's restart policy, not by us.

Not `docker kill`: moby takes that for a stop by hand (daemon/kill.go sets the container's
HasBeenManuallyStopped), and no restart policy brings such a container back. A process that
dies of itself is what a restart policy is for, so the kill comes from the host, to the pid
that Docker reports for the container.
"""

import json
import os
import signal
import subprocess
import time

import yaml

from busi.config import REPO_DIR
from crash_sim.fault import Fault

DOCKER = REPO_DIR / "scripts" / "docker.sh"
PROJECT = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())["name"]
RESTART_DEADLINE_S = 120
POLL_S = 0.2


class ContainerError(Exception):
    """Compose or Docker failed, or a container did not come back; the message says which."""


def compose(*args, env=None, timeout=900):
    """scripts/docker.sh compose ARGS (the test's override on top); its output."""
    result = subprocess.run(
        ["bash", str(DOCKER), "compose", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise ContainerError(f"docker compose {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def container_of(service):
    """The id of the service's container, found by the labels Compose puts on it (so without the
    compose file's variables). A restart keeps the container: one lookup serves a whole crash."""
    labels = [f"label=com.docker.compose.project={PROJECT}", f"label=com.docker.compose.service={service}"]
    found = subprocess.run(
        ["docker", "ps", "--all", "--quiet", *(arg for label in labels for arg in ("--filter", label))],
        capture_output=True,
        text=True,
        check=True,
    )
    if not found.stdout.strip():
        raise ContainerError(f"no container for the service {service}: is the Docker stack up?")
    return found.stdout.split()[0]


def state(container):
    """Docker's State of a container: Pid, Status, Health, and its RestartCount."""
    result = subprocess.run(["docker", "inspect", container], capture_output=True, text=True, check=True)
    inspected = json.loads(result.stdout)[0]
    return {**inspected["State"], "RestartCount": inspected["RestartCount"]}


def crash(service):
    """SIGKILL the container's main process; wait until its restart policy has it healthy again.
    Returns how many times Docker has restarted it, as the row's proof."""
    container = container_of(service)
    before = state(container)
    if before.get("Status") != "running":
        raise ContainerError(f"{service}'s container is {before.get('Status')}, not running")
    os.kill(before["Pid"], signal.SIGKILL)
    deadline = time.monotonic() + RESTART_DEADLINE_S
    while True:
        now = state(container)
        if now["RestartCount"] > before["RestartCount"] and now.get("Health", {}).get("Status") == "healthy":
            return now["RestartCount"]
        if time.monotonic() >= deadline:
            raise ContainerError(f"{service} was not restarted and healthy within {RESTART_DEADLINE_S} s: {now}")
        time.sleep(POLL_S)


def container_crash(service, label):
    """A fault-matrix row: the service's container crashes once a quarter of the stock is sold."""

    def inject(sale):
        hit_at = sale.crowd.sold
        sale.seen["restarts"] = crash(service)
        return hit_at

    return Fault(f"{service}_container_kill", label, inject, witness=lambda sale: restarted(sale.seen))


def restarted(seen):
    count = seen.get("restarts")
    return f"restarted by Docker ({count} in all)" if count else ""


CONTAINER_FAULTS = [
    container_crash("busi", "the service's container SIGKILL"),
    container_crash("redis", "Redis's container SIGKILL"),
    container_crash("mysql", "MariaDB's container SIGKILL"),
    container_crash("dtm", "DTM's container SIGKILL"),
]
