"""Imports run one way: saga <- busi <- crash_sim <- tests, and inside busi by layer
(.importlinter, docs/architecture.md). A change that imports against the arrows fails here."""

import ast
import subprocess
import sys
from pathlib import Path

from busi.config import REPO_DIR

PACKAGES = ("saga", "busi", "crash_sim")


def test_the_import_contracts_hold():
    """import-linter reads every module's imports and checks .importlinter's contracts."""
    checked = subprocess.run(
        [Path(sys.executable).with_name("lint-imports"), "--config", ".importlinter", "--no-cache"],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2 kept, 0 broken" in checked.stdout


def imported_packages(source):
    """The top-level package of every import in a module's source."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_nothing_imports_the_tests():
    """tests/ sits on top: no module of the project imports it (import-linter sees only packages)."""
    offenders = [
        str(path.relative_to(REPO_DIR))
        for package in PACKAGES
        for path in (Path(REPO_DIR) / package).rglob("*.py")
        if "tests" in set(imported_packages(path.read_text()))
    ]
    assert offenders == []


def test_imported_packages_reads_every_form():
    source = "import tests.conftest\nfrom tests import x\nfrom . import y\nimport os, busi.config as c\n"
    assert list(imported_packages(source)) == ["tests", "tests", "os", "busi"]
