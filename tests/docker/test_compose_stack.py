"""The Docker stack (docker-compose.yml), run for real. `make compose-test` builds its images and
runs this module against the containers, every one on the host's loopback
(docker/host-network.yml): the seed's lines, the batch, the container faults of the fault matrix,
and the stores' volumes across `down` and `up`. It ends with `docker compose down -v`."""

import os
import secrets
import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import requests

from busi.config import Config
from crash_sim import containers, faults, show
from tests.conftest import wait_until
from tests.e2e.conftest import assert_held
from tests.e2e.test_batch import EXPECTED
from tests.e2e.test_crash import RECOVERY_DEADLINE_S

pytestmark = pytest.mark.skipif(
    os.environ.get("COMPOSE_TEST") != "1", reason="the Docker stack's: run them with `make compose-test`"
)


@pytest.fixture(scope="module")
def env():
    """What a user exports before `docker compose up`: the secrets, new ones for this run."""
    made = {"BRANCH_SECRET": secrets.token_hex(32), "AUTH_SECRET": secrets.token_hex(32)}
    return {**os.environ, **made, "MYSQL_PASSWORD": secrets.token_hex(16)}


@pytest.fixture(scope="module")
def config(env):
    """This side's configuration: busi/config.py's ports (the compose file's too), the stack's secrets."""
    mysql = urlsplit(Config.mysql_url)
    mysql_url = mysql._replace(netloc=f"{mysql.username}:{env['MYSQL_PASSWORD']}@{mysql.hostname}:{mysql.port}")
    return Config.from_env(
        {
            "DTM_URL": Config.dtm_url,
            "REDIS_URL": Config.redis_url,
            "MYSQL_URL": mysql_url.geturl(),
            "BRANCH_SECRET": env["BRANCH_SECRET"],
            "AUTH_SECRET": env["AUTH_SECRET"],
        }
    )


@pytest.fixture(scope="module")
def stack(env, config):
    ports = [urlsplit(url).port for url in (config.dtm_url, config.redis_url, config.mysql_url, config.busi_url)]
    taken = [port for port in ports + [config.stream_port] if listening(port)]
    if taken:
        pytest.fail(f"ports {taken} are taken on 127.0.0.1: stop the local stack first (make down)")
    containers.compose("build", env=env, timeout=1800)
    try:
        up(env)
        yield
    finally:
        containers.compose("down", "-v", env=env)


def up(env):
    """docker compose up --wait; if a container never gets healthy, the error shows the logs."""
    try:
        containers.compose("up", "-d", "--wait", env=env)
    except containers.ContainerError as err:
        logs = containers.compose("logs", "--tail", "30", env=env)
        raise containers.ContainerError(f"{err}\nthe containers' last lines:\n{logs}") from err


@pytest.fixture(scope="module")
def operator(stack, env, config):
    """The operator's headers, with the credential a user gets as docs/docker.md says."""
    credential = containers.compose("exec", "-T", "busi", "python", "-m", "busi", "credential", "operator", env=env)
    return {"Authorization": f"Bearer {credential.strip()}"}


def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_seed_lines_back_to_back_print_3_then_4(config, operator):
    """reset, flashSales, flashSales-crash, flashSales-batch, as the seed's curl lines send them."""
    seed = config.busi_url.replace("127.0.0.1", "localhost")
    assert requests.post(f"{seed}/reset", params={"stock": 4}, headers=operator, timeout=30).status_code == 200
    assert requests.get(f"{seed}/flashSales", timeout=30).status_code == 200
    try:
        crashed = requests.get(f"{seed}/flashSales-crash", headers=operator, timeout=30)
        assert crashed.status_code == 502, crashed.text  # no answer from the worker that died
    except requests.ConnectionError:
        pass
    lines = requests.get(f"{seed}/flashSales-batch", headers=operator, timeout=120).text.splitlines()
    assert lines[0].startswith("waited ") and "in flight to become orders" in lines[0], lines
    assert lines[1:] == EXPECTED


def test_the_batch_from_outside_prints_3_then_4(config, operator, env):
    result = subprocess.run(
        [sys.executable, "-m", "crash_sim", "batch", "--url", config.busi_url],
        env={**env, "AUTH_SECRET": config.auth_secret},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert [line.split("] ", 1)[1] for line in result.stdout.splitlines()] == EXPECTED


@pytest.mark.parametrize("fault", containers.CONTAINER_FAULTS, ids=lambda fault: fault.key)
def test_a_container_crashes_mid_sale_and_its_restart_policy_brings_it_back(stack, config, fault):
    row = faults.Matrix(config).run(fault)
    show.print_table(faults.HEADERS, [row.cells()])  # for docs/docker.md (pytest -s)
    assert row.seen.startswith("restarted by Docker"), row.seen
    assert_held(row)


def test_orders_stock_and_transactions_survive_down_and_up(config, operator, env):
    busi = requests.Session()
    busi.headers.update(operator)
    assert busi.post(f"{config.busi_url}/reset", params={"stock": 5}, timeout=30).status_code == 200
    bought = [busi.post(f"{config.busi_url}/flashSales", timeout=30) for _ in range(2)]
    assert [response.status_code for response in bought] == [200, 200]

    def orders():
        return busi.get(f"{config.busi_url}/orders", params={"product_id": 1}, timeout=30).json()

    assert wait_until(lambda: orders()["count"] == 2, RECOVERY_DEADLINE_S)
    before = (orders()["latest"], busi.get(f"{config.busi_url}/products/1", timeout=30).json()["stock"])
    containers.compose("down", env=env)
    up(env)
    after = (orders()["latest"], busi.get(f"{config.busi_url}/products/1", timeout=30).json()["stock"])
    assert after == before
    assert before[1] == 3
    dtm = requests.get(f"{config.dtm_url}/query", params={"gid": bought[0].json()["gid"]}, timeout=30).json()
    assert dtm["transaction"]["status"] == "succeed"  # DTM's own store, on its volume
