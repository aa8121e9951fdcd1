"""docker-compose.yml agrees with the code and the local stack; tests/docker runs it for real
(make compose-test). These checks need no Docker engine, so every `make test` makes them."""

from urllib.parse import urlsplit

import pytest
import yaml

from busi.config import REPO_DIR, Config


class ComposeLoader(yaml.SafeLoader):
    """Compose's YAML: `!reset` (docker/host-network.yml) empties what it is put on."""


ComposeLoader.add_constructor("!reset", lambda loader, node: None)


def compose_file(path):
    return yaml.load((REPO_DIR / path).read_text(), Loader=ComposeLoader)  # noqa: S506 - SafeLoader's subclass


COMPOSE = compose_file("docker-compose.yml")
SERVICES = COMPOSE["services"]
BUSI_ENV = SERVICES["busi"]["environment"]
OVERRIDE = compose_file("docker/host-network.yml")["services"]
STORES = {"dtm": "/data", "redis": "/data", "mysql": "/var/lib/mysql"}  # where each keeps its data
DOCKERFILE = (REPO_DIR / "Dockerfile").read_text()


def listens_on(service):
    """The port a service listens on inside its container, as its definition says."""
    env = SERVICES[service].get("environment", {})
    if service == "dtm":
        return int(env["HTTP_PORT"])
    if service == "redis":
        return int(SERVICES["redis"]["command"][-1].split("--port ")[1].split()[0])
    if service == "mysql":
        return int(env["MYSQL_PORT"])
    return Config.from_env({k: str(v) for k, v in env.items()}).busi_port


def test_every_service_is_a_stage_of_the_one_dockerfile_on_one_base():
    assert set(SERVICES) == {"dtm", "redis", "mysql", "busi", "stream"}
    for service in SERVICES.values():
        assert service["build"]["context"] == "."
        assert service["build"]["args"] == {"BASE": "${BASE:-debian:bookworm-slim}"}
        assert f"AS {service['build']['target']}\n" in DOCKERFILE
    assert DOCKERFILE.count("ARG BASE=debian:bookworm-slim") == 1 and "FROM ${BASE} AS debian" in DOCKERFILE


def test_the_environment_names_are_the_config_table():
    config_names = {name.upper() for name in Config.__dataclass_fields__ if not name.startswith("local_")}
    assert set(BUSI_ENV) <= config_names
    assert SERVICES["stream"]["environment"] == BUSI_ENV


@pytest.mark.parametrize(
    "variable, service", [("DTM_URL", "dtm"), ("REDIS_URL", "redis"), ("MYSQL_URL", "mysql"), ("BUSI_URL", "busi")]
)
def test_urls_name_a_service_and_the_port_it_listens_on(variable, service):
    url = urlsplit(BUSI_ENV[variable])
    assert url.hostname == service
    assert url.port == listens_on(service)
    # The local stack's port too: the test's containers share the host's network, and its client
    # reaches them with busi/config.py's defaults.
    assert url.port == urlsplit(getattr(Config, variable.lower())).port or variable == "BUSI_URL"


def test_every_service_is_health_checked_and_restarted_and_the_service_waits_for_the_stores():
    for name, service in SERVICES.items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    assert SERVICES["busi"]["depends_on"] == {store: {"condition": "service_healthy"} for store in STORES}
    assert SERVICES["stream"]["depends_on"] == {"busi": {"condition": "service_healthy"}}


def test_every_store_keeps_its_data_on_a_volume_with_the_local_stack_s_settings():
    for store, path in STORES.items():
        assert f"{store}-data:{path}" in SERVICES[store]["volumes"]
    assert set(COMPOSE["volumes"]) == {f"{store}-data" for store in STORES}
    redis_conf = (REPO_DIR / "scripts" / "conf" / "redis.conf").read_text()
    assert "\nappendonly yes\nappendfsync always\n" in redis_conf
    assert "innodb-flush-log-at-trx-commit = 1" in (REPO_DIR / "scripts" / "conf" / "mariadb.cnf").read_text()
    assert "/etc/flash-sale/redis.conf" in SERVICES["redis"]["command"][-1]
    stack = (REPO_DIR / "scripts" / "stack.sh").read_text()
    assert 'REDIS_CONF="$PWD/scripts/conf/redis.conf"' in stack
    assert 'MARIADB_CNF="$PWD/scripts/conf/mariadb.cnf"' in stack
    assert "COPY scripts/conf/redis.conf" in DOCKERFILE and "COPY scripts/conf/mariadb.cnf" in DOCKERFILE


def test_the_secrets_come_from_whoever_starts_it():
    for secret in ("BRANCH_SECRET", "AUTH_SECRET"):
        assert BUSI_ENV[secret].startswith(f"${{{secret}:?")  # compose refuses to start without one
    assert SERVICES["mysql"]["environment"]["MYSQL_PASSWORD"].startswith("${MYSQL_PASSWORD:?")
    assert urlsplit(BUSI_ENV["MYSQL_URL"]).password == "${MYSQL_PASSWORD}"


def test_only_the_service_the_stream_and_the_dashboard_are_published_and_on_loopback():
    published = {name: service["ports"] for name, service in SERVICES.items() if "ports" in service}
    assert published == {
        "busi": ["127.0.0.1:8081:8081"],
        "stream": ["127.0.0.1:8082:8082"],
        "dtm": ["127.0.0.1:36789:36789"],
    }


def test_inside_its_container_the_service_needs_the_operator_s_credential():
    config = Config.from_env({k: str(v) for k, v in BUSI_ENV.items()})
    assert config.busi_host == "0.0.0.0" and config.operator_open is False


def test_the_test_s_override_changes_the_network_and_where_each_listens_only():
    listen = {"dtm": "DTM_LISTEN_HOST", "redis": "LISTEN_HOST", "mysql": "LISTEN_HOST", "busi": "BUSI_HOST"}
    for name, service in OVERRIDE.items():
        assert service["network_mode"] == "host" and service["build"] == {"network": "host"}
        assert set(service) <= {"network_mode", "build", "extra_hosts", "ports", "environment"}
        assert all(host.endswith(":127.0.0.1") for host in service["extra_hosts"])
        changed = service["environment"]
        assert changed.pop(listen.get(name, "BUSI_HOST")) == "127.0.0.1"
        assert changed in ({}, {"OPERATOR_OPEN": "0"})  # the service's: as closed as in docker-compose.yml
