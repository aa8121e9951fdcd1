"""The configuration table."""
import pytest

from busi.config import Config, shell_lines


def test_defaults_start_every_server_locally():
    config = Config.from_env({})
    assert (config.local_dtm, config.local_redis, config.local_mysql) == (True, True, True)
    assert config.busi_url == "http://127.0.0.1:8081/api/busi"


def test_a_given_url_means_that_server_already_runs():
    config = Config.from_env({"DTM_URL": "http://dtm:36789/api/dtmsvr", "BUSI_PORT": "9000"})
    assert config.dtm_url == "http://dtm:36789/api/dtmsvr" and not config.local_dtm
    assert config.local_redis and config.busi_url == "http://127.0.0.1:9000/api/busi"


@pytest.mark.parametrize("env", [{"BUSI_PORT": "x"}, {"BUSI_WORKERS": "1"}])
def test_bad_values_are_refused(env):
    with pytest.raises(ValueError):
        Config.from_env(env)


def test_shell_lines_for_the_stack_script():
    lines = shell_lines(Config.from_env({"MYSQL_URL": "mysql://u:p w@h:3307/flash_sale"}))
    assert "MYSQL_PORT=3307" in lines and "LOCAL_MYSQL=0" in lines and "MYSQL_PASSWORD='p w'" in lines
