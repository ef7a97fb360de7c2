"""Starting the application costs no password hashing, and the lock files agree with
pyproject.toml: production installs the runtime set only, the tests run on the same
versions plus the test tools."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_EVERYTHING = """
import pkgutil, importlib, werkzeug.security as security
calls = []
def counting(*args, **kwargs):
    calls.append(1)
    raise AssertionError("a password hashed at import time")
security.generate_password_hash = counting
import app
for module in pkgutil.walk_packages(app.__path__, "app."):
    importlib.import_module(module.name)
from app import create_app
create_app({"APP_CONFIG": "testing"})
import wsgi
print(len(calls))
"""


def test_importing_and_creating_the_app_hashes_no_password(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "0"


def _pins(path: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\]+)", path.read_text(), re.MULTILINE)
    return {re.sub(r"\[.*\]", "", name).lower().replace("_", "-"): v for name, v in pins}


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def test_the_lock_files_pin_what_pyproject_asks_for():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _pins(ROOT / "requirements/runtime.txt")
    dev = _pins(ROOT / "requirements/dev.txt")
    assert _names(project["dependencies"]) <= set(runtime)
    assert _names(project["optional-dependencies"]["dev"]) <= set(dev)
    assert "pytest" not in runtime and "gunicorn" in runtime
    # The tests run on exactly the versions production installs, with or without Sentry.
    assert {name: dev[name] for name in runtime} == runtime
    sentry = _pins(ROOT / "requirements/sentry.txt")
    assert "sentry-sdk" in sentry and {name: sentry[name] for name in runtime} == runtime


def test_a_worker_does_not_carry_the_statistics_libraries(tmp_path):
    """pandas and pyreadstat (tens of MB in every gunicorn worker) are imported only when an
    SPSS or Stata file is written."""
    code = (
        "import sys, pkgutil, importlib, app\n"
        "for module in pkgutil.walk_packages(app.__path__, 'app.'):\n"
        "    importlib.import_module(module.name)\n"
        "app.create_app({'APP_CONFIG': 'testing'})\n"
        "print(sorted(m for m in ('pandas', 'pyreadstat') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
