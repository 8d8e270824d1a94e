"""Production settings know nothing of tests; importing them changes nothing on disk;
the local Makefile targets work on a fresh checkout (issue 11)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
# What a fresh clone does not have: the venv, local data, caches, the git folder.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "var",
    ".env",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "test-artifacts",
    "node_modules",
)


def _clean_environment(**extra: str) -> dict:
    """This process's environment without the project's variables, plus `extra`:
    as a shell has it. DJANGO_SETTINGS_MODULE (pytest-django sets it to the test
    settings) and PYTEST_VERSION go too."""
    project = {
        "DATABASE_URL",
        "REDIS_URL",
        "CACHE_URL",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "EMAIL_URL",
        "SITE_URL",
        "MEDIA_ROOT",
        "READ_DOT_ENV",
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "PYTEST_VERSION",
    }
    env = {k: v for k, v in os.environ.items() if k not in project}
    return {**env, **extra}


def _settings(module: str, env: dict, names: list[str], cwd: Path = ROOT) -> dict:
    code = (
        f"import json, {module} as s; "
        f"print(json.dumps({{n: str(getattr(s, n, None)) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_do_not_relax_when_run_under_pytest():
    # pytest exports PYTEST_VERSION; production settings must not read it.
    env = _clean_environment(DEBUG="false", PYTEST_VERSION="9.0.0")
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _settings("config.settings", env, ["SECRET_KEY"])
    assert "Set SECRET_KEY" in refused.value.stderr
    values = _settings(
        "config.settings",
        {**env, "SECRET_KEY": "k3y-" + "a8Zq0pLm" * 8},
        ["SECURE_SSL_REDIRECT", "WHITENOISE_USE_FINDERS"],
    )
    assert values == {"SECURE_SSL_REDIRECT": "True", "WHITENOISE_USE_FINDERS": "False"}


def test_test_settings_differ_from_production_only_where_a_test_run_must():
    env = _clean_environment(DEBUG="false", SECRET_KEY="k3y-" + "a8Zq0pLm" * 8)
    code = (
        "import json, importlib; "
        "p = importlib.import_module('config.settings'); "
        "t = importlib.import_module('config.settings_test'); "
        "names = [n for n in dir(p) if n.isupper() and n[0] != '_']; "
        "print(json.dumps(sorted(n for n in names "
        "if repr(getattr(p, n)) != repr(getattr(t, n, None)))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == [
        "SECURE_SSL_REDIRECT",
        "WHITENOISE_USE_FINDERS",
    ]
    # And this suite runs with them (pytest-django exports the module it loaded).
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "config.settings_test"
    assert settings.WHITENOISE_USE_FINDERS and not settings.SECURE_SSL_REDIRECT


def test_importing_settings_creates_no_folder_and_reads_dot_env_only_when_asked(
    tmp_path,
):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "config", project / "config", ignore=NOT_IN_A_CLONE)
    (project / ".env").write_text("SITE_URL=https://from-dot-env.example\n")
    env = _clean_environment(DEBUG="true")

    plain = _settings("config.settings", env, ["SITE_URL"], cwd=project)
    assert plain == {"SITE_URL": "http://127.0.0.1:8000"}
    asked = _settings(
        "config.settings", {**env, "READ_DOT_ENV": "1"}, ["SITE_URL"], cwd=project
    )
    assert asked == {"SITE_URL": "https://from-dot-env.example"}
    assert sorted(p.name for p in project.iterdir()) == [".env", "config"]


@pytest.mark.slow
def test_make_migrate_and_sync_work_on_a_fresh_checkout(tmp_path):
    """`make migrate` and `make sync` in a copy of the project as a clone has it (no
    var/, no SECRET_KEY, no DEBUG in the environment), using this suite's venv."""
    project = tmp_path / "clone"
    shutil.copytree(ROOT, project, ignore=NOT_IN_A_CLONE)
    venv = Path(sys.prefix)
    make = shutil.which("make")
    if make is None:
        service_missing("make is not installed")
    result = subprocess.run(
        # -o: the venv is ready; never reinstall into the suite's own.
        [make, f"VENV={venv}", "-o", f"{venv}/.installed", "sync"],
        env=_clean_environment(),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert (project / "var" / "db.sqlite3").is_file()
    assert "Content from" in result.stdout
