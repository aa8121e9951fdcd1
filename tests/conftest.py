"""Shared fixtures. Tests are split by what they need:
unit/ nothing; integration/ the real Redis, MariaDB and DTM; e2e/ also the running service.
The servers are the ones `make test` starts (or those DTM_URL, REDIS_URL, MYSQL_URL name)."""

import time

import pytest
import redis as redis_lib
from redis.exceptions import RedisClusterException

from busi import create_app
from busi.adapters import redis_client
from busi.adapters.orders import make_engine
from busi.config import Config
from saga import DtmClient, RedisBarrier

# The unit tests' app: its own secrets, not the local stack's (a fresh machine has none yet), and
# stores at port 1, where nothing listens: a unit test that reached a store by mistake fails
# rather than changing the running stack's data.
TEST_SECRETS = {"BRANCH_SECRET": "test-branch-secret-" + "b" * 32, "AUTH_SECRET": "test-auth-secret-" + "a" * 32}
NO_STORES = {
    "DTM_URL": "http://127.0.0.1:1/api/dtmsvr",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "MYSQL_URL": "mysql://nobody:none@127.0.0.1:1/none",
}


def app_with(**env):
    """The app as create_app builds it for this environment; its clients connect on first use only."""
    return create_app(Config.from_env({**TEST_SECRETS, **NO_STORES, **env}))


def wait_until(condition, timeout_s, interval_s=0.05):
    """Poll condition() until it returns a truthy value or the deadline passes; return its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval_s)


@pytest.fixture(scope="session")
def config():
    return Config.from_env()


@pytest.fixture(scope="session")
def redis(config):
    try:
        client = redis_client.connect(config)
        client.ping()
    except (redis_lib.RedisError, RedisClusterException) as err:
        pytest.fail(f"Redis is not reachable at {config.redis_url} ({err}): run `make up` first")
    return client


@pytest.fixture(scope="session")
def mysql(config):
    engine = make_engine(config.mysql_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def dtm(config):
    return DtmClient(config.dtm_url)


@pytest.fixture(scope="session")
def redis_barrier(redis):
    return RedisBarrier(redis)
