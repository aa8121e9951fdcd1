"""The service refuses to start in a shape that would expose the operator's endpoints without a
credential to other hosts (docs/security.md): by the configuration, and by what gunicorn binds."""

import os
import subprocess
import sys

from busi.config import REPO_DIR
from tests.conftest import NO_STORES, TEST_SECRETS

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "busi/server/gunicorn_conf.py", "busi.server.wsgi:app"]


def start(tmp_path, *args, **env):
    """gunicorn as stack.sh runs it, plus args; its exit code and log, or a failure if it stays up."""
    full_env = {**os.environ, **TEST_SECRETS, **NO_STORES, "BUSI_DIR": str(tmp_path), **env}
    try:
        done = subprocess.run(
            [*GUNICORN, *args], cwd=REPO_DIR, env=full_env, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired as err:
        raise AssertionError(f"gunicorn started and kept running: {err.stderr}") from None
    return done.returncode, done.stdout + done.stderr


def test_a_bind_off_loopback_with_open_operator_endpoints_is_refused(tmp_path):
    # Port 0: whatever the kernel gives; gunicorn binds, sees the address, and stops before any worker.
    code, log = start(tmp_path, "-b", "0.0.0.0:0")
    assert code == 1 and "reachable from other hosts, with OPERATOR_OPEN=1" in log, log


def test_busi_host_off_loopback_with_operator_open_is_a_configuration_error(tmp_path):
    code, log = start(tmp_path, BUSI_HOST="0.0.0.0", OPERATOR_OPEN="1", BUSI_PORT="0")
    assert code != 0 and "OPERATOR_OPEN=1 would let anyone" in log, log
    shell = subprocess.run(
        [sys.executable, "-P", "busi/config.py"],
        cwd=REPO_DIR,
        env={**os.environ, "BUSI_HOST": "0.0.0.0", "OPERATOR_OPEN": "1"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert shell.returncode == 1 and "configuration error: BUSI_HOST=0.0.0.0" in shell.stderr
