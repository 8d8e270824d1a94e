"""`check --deploy` refuses a per-process cache in production: rate limits counted in
it would be per gunicorn worker (verify allowed 60 a minute instead of 30)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/0",
    }
}
DATABASE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "lifeline_cache",
    }
}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
FILES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": "var/cache",
    }
}


def _deploy_check_ids() -> set[str]:
    return {m.id for m in run_checks(include_deployment_checks=True, tags=["caches"])}


@pytest.mark.parametrize("caches", [LOCMEM, DUMMY], ids=["locmem", "dummy"])
def test_deploy_check_refuses_a_per_process_cache_with_debug_off(settings, caches):
    settings.DEBUG = False
    settings.CACHES = caches
    assert "accounts.E001" in _deploy_check_ids()


@pytest.mark.parametrize("caches", [REDIS, DATABASE], ids=["redis", "database"])
def test_deploy_check_accepts_a_shared_cache(settings, caches):
    settings.DEBUG = False
    settings.CACHES = caches
    assert not {"accounts.E001", "accounts.W001"} & _deploy_check_ids()


def test_deploy_check_warns_that_a_file_cache_is_shared_by_one_host_only(settings):
    settings.DEBUG = False
    settings.CACHES = FILES
    assert "accounts.W001" in _deploy_check_ids()


def test_local_development_may_keep_the_per_process_cache(settings):
    settings.DEBUG = True
    settings.CACHES = LOCMEM
    assert not _deploy_check_ids()


def test_check_deploy_fails_in_production_settings_without_redis(tmp_path):
    """The real command, with the environment a production host would have minus
    REDIS_URL: settings fall back to locmem and the command says why it refuses."""
    dropped = (
        "REDIS_URL",
        "CACHE_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        # pytest-django sets it to the test settings; production loads config.settings.
        "DJANGO_SETTINGS_MODULE",
    )
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="false",
        SECRET_KEY="k3y-" + "a8Zq0pLm" * 8,
        ALLOWED_HOSTS="lifeline.example",
        DATABASE_URL=f"sqlite:///{tmp_path}/deploy.sqlite3",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.example:587",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "accounts.E001" in result.stderr + result.stdout
    assert "REDIS_URL" in result.stderr + result.stdout
