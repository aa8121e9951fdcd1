"""The configuration table."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from busi.config import Config, shell_lines


def test_defaults_start_every_server_locally():
    config = Config.from_env({})
    assert (config.local_dtm, config.local_redis, config.local_mysql) == (True, True, True)
    assert config.busi_url == "http://127.0.0.1:8081/api/busi"
    assert config.stream_url == "http://127.0.0.1:8082/api/busi"  # the stock stream server's


def test_a_given_url_means_that_server_already_runs():
    config = Config.from_env({"DTM_URL": "http://dtm:36789/api/dtmsvr", "BUSI_PORT": "9000"})
    assert config.dtm_url == "http://dtm:36789/api/dtmsvr" and not config.local_dtm
    assert config.local_redis and config.busi_url == "http://127.0.0.1:9000/api/busi"


@pytest.mark.parametrize(
    "env",
    [
        {"BUSI_PORT": "x"},
        {"BUSI_WORKERS": "1"},
        {"DEMO_ENDPOINTS": "maybe"},
        {"REDIS_NODE_ADDRESSES": "127.0.0.1:7001"},
        {"REDIS_NODE_ADDRESSES": "127.0.0.1:7001=127.0.0.1:x"},
        {"REDIS_NODE_ADDRESSES": ":7001=127.0.0.1:27001"},
    ],
)
def test_bad_values_are_refused(env):
    with pytest.raises(ValueError):
        Config.from_env(env)


def test_shell_lines_for_the_stack_script():
    lines = shell_lines(Config.from_env({"MYSQL_URL": "mysql://u:p w@h:3307/flash_sale"}))
    assert "MYSQL_PORT=3307" in lines and "LOCAL_MYSQL=0" in lines and "MYSQL_PASSWORD='p w'" in lines


@pytest.mark.parametrize("raw, expected", [("0", False), ("false", False), ("1", True), ("True", True)])
def test_demo_endpoints_switch(raw, expected):
    assert Config.from_env({"DEMO_ENDPOINTS": raw}).demo_endpoints is expected


def test_the_branch_secret_comes_from_the_environment_or_the_run_folder(tmp_path):
    (tmp_path / "branch_secret").write_text("from-file\n")
    assert Config.from_env({"RUN_DIR": str(tmp_path)}).branch_secret == "from-file"
    assert Config.from_env({"RUN_DIR": str(tmp_path), "BRANCH_SECRET": "env"}).branch_secret == "env"
    assert Config.from_env({"RUN_DIR": str(tmp_path / "none")}).branch_secret == ""


def test_the_secret_stays_out_of_the_shell_lines():
    lines = shell_lines(Config.from_env({"BRANCH_SECRET": "hush"}))
    assert not any("hush" in line or line.startswith("BRANCH_SECRET=") for line in lines)


def test_cluster_nodes_behind_a_proxy_are_reached_where_it_listens():
    config = Config.from_env({"REDIS_NODE_ADDRESSES": "127.0.0.1:7001=127.0.0.1:27001, 10.0.0.2:7002=proxy:27002"})
    assert config.node_addresses() == {("127.0.0.1", 7001): ("127.0.0.1", 27001), ("10.0.0.2", 7002): ("proxy", 27002)}
    assert Config.from_env({}).node_addresses() == {}


def test_ha_changes_the_redis_defaults_and_names_its_servers_for_the_stack_script():
    config = Config.from_env({"HA": "1"})
    assert (config.redis_url, config.redis_cluster) == ("redis://127.0.0.1:7001/0", True)
    assert config.busi_url == Config.from_env({}).busi_url  # HAProxy listens where the service did
    lines = shell_lines(config)
    assert "HA_REDIS_SHARDS='7001 7002 7003'" in lines and "REDIS_PORT=7001" in lines
    assert "HA_BUSI_1_REDIS='27001 27002 27003'" in lines  # busi-1's proxies (scripts/stack.sh ha-links-up)
    assert not [line for line in shell_lines(Config.from_env({})) if line.startswith("HA_")]


def test_ha_leaves_a_given_redis_url_alone():
    config = Config.from_env({"HA": "yes", "REDIS_URL": "redis://cluster:7000/0"})
    assert config.redis_url == "redis://cluster:7000/0" and not config.local_redis and config.redis_cluster
    with pytest.raises(ValueError, match="HA must be 1 or 0"):
        Config.from_env({"HA": "two"})


def _run(*args, **env):
    repo = Path(__file__).parents[2]
    return subprocess.run([sys.executable, *args], cwd=repo, env={**os.environ, **env}, capture_output=True, text=True)


def test_the_stack_script_reads_the_same_lines_without_importing_the_app():
    """scripts/stack.sh runs busi/config.py itself (0.1 s, for every kill): the same output as
    `python -m busi config`, and the same error for a bad value."""
    script, module = _run("-P", "busi/config.py", BUSI_PORT="8123"), _run("-m", "busi", "config", BUSI_PORT="8123")
    assert script.returncode == module.returncode == 0
    assert "BUSI_PORT=8123" in script.stdout.splitlines() and script.stdout == module.stdout
    bad = _run("-P", "busi/config.py", BUSI_WORKERS="many")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "configuration error: BUSI_WORKERS must be an integer, got 'many'"
