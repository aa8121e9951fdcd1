"""docker-compose.yml cannot run here (no Docker engine); check that it agrees with the code."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from busi.config import REPO_DIR, Config

COMPOSE = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
BUSI_ENV = SERVICES["busi"]["environment"]


# Where each listens inside its container: no store publishes a port (docs/security.md).
CONTAINER_PORTS = {"dtm": int(SERVICES["dtm"]["environment"]["HTTP_PORT"]), "redis": 6379, "mysql": 3306, "busi": 8081}


def test_the_four_services():
    assert set(SERVICES) == {"dtm", "redis", "mysql", "busi"}
    assert SERVICES["dtm"]["image"] == "yedf/dtm:1.19.0"  # pinned, the version the local stack builds
    assert SERVICES["busi"]["build"] == "."


def test_busi_environment_names_are_the_config_table():
    config_names = {name.upper() for name in Config.__dataclass_fields__ if not name.startswith("local_")}
    assert set(BUSI_ENV) <= config_names


@pytest.mark.parametrize(
    "variable, service", [("DTM_URL", "dtm"), ("REDIS_URL", "redis"), ("MYSQL_URL", "mysql"), ("BUSI_URL", "busi")]
)
def test_urls_name_a_service_and_its_container_port(variable, service):
    url = urlsplit(BUSI_ENV[variable])
    assert url.hostname == service
    assert url.port == CONTAINER_PORTS[service]


def test_busi_listens_where_its_url_points():
    config = Config.from_env({k: str(v) for k, v in BUSI_ENV.items()})
    assert config.busi_port == CONTAINER_PORTS["busi"]
    assert urlsplit(config.busi_url).port == config.busi_port
    assert urlsplit(config.dtm_url).path == urlsplit(Config().dtm_url).path


def test_mysql_gets_the_project_schema():
    mounts = [v.split(":") for v in SERVICES["mysql"]["volumes"]]
    schema = [(Path(host), target) for host, target, *_ in mounts if target.startswith("/docker-entrypoint-initdb.d/")]
    assert len(schema) == 1 and (REPO_DIR / schema[0][0]).resolve() == REPO_DIR / "busi" / "adapters" / "schema.sql"
    database = urlsplit(BUSI_ENV["MYSQL_URL"]).path.lstrip("/")
    assert f"CREATE DATABASE IF NOT EXISTS {database} " in (REPO_DIR / "busi" / "adapters" / "schema.sql").read_text()
    assert database == urlsplit(Config().mysql_url).path.lstrip("/")


def mounted_at(service, target):
    return any(volume.split(":")[1] == target for volume in SERVICES[service].get("volumes", []))


def test_every_store_is_durable_as_in_the_local_stack():
    stack = (REPO_DIR / "scripts" / "stack.sh").read_text()
    redis = SERVICES["redis"]["command"]
    assert "REDIS_DURABILITY=(appendonly yes appendfsync always)" in stack
    assert redis[redis.index("--appendonly") + 1] == "yes" and redis[redis.index("--appendfsync") + 1] == "always"
    assert mounted_at("redis", "/data")
    assert "--innodb-flush-log-at-trx-commit=1" in SERVICES["mysql"]["command"]
    assert "--innodb-flush-log-at-trx-commit=1" in stack
    assert mounted_at("mysql", "/var/lib/mysql")
    assert mounted_at("dtm", SERVICES["dtm"]["working_dir"])  # where boltdb writes ./dtm.bolt


def test_the_secrets_come_from_whoever_starts_it():
    for secret in ("BRANCH_SECRET", "AUTH_SECRET"):
        assert BUSI_ENV[secret].startswith(f"${{{secret}:?")  # compose refuses to start without one
    assert SERVICES["mysql"]["environment"]["MYSQL_ROOT_PASSWORD"].startswith("${MYSQL_PASSWORD:?")
    assert urlsplit(BUSI_ENV["MYSQL_URL"]).password == "${MYSQL_PASSWORD}"
    assert "flash@" not in (REPO_DIR / "docker-compose.yml").read_text() and "-pflash" not in str(SERVICES)


def test_only_the_service_publishes_a_port_and_on_loopback_unless_told():
    assert [name for name, service in SERVICES.items() if "ports" in service] == ["busi"]
    assert SERVICES["busi"]["ports"] == ["${BUSI_PUBLISH:-127.0.0.1}:8081:8081"]


def test_inside_its_container_the_service_needs_the_operator_s_credential():
    config = Config.from_env({k: str(v) for k, v in BUSI_ENV.items()})
    assert config.busi_host == "0.0.0.0" and config.operator_open is False
