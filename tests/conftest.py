"""Shared fixtures.

The database is whatever DATABASE_URL names (SQLite by default, PostgreSQL in CI).
Tests that need a service ask for it through a fixture (`postgres`, `redis_url`,
`celery_worker_process`, `browser`) or a marker; when the service is absent the test
skips with the reason, except under REQUIRE_SERVICES=1, where it fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from core import sessions as session_engine
from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip the test, or fail it when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _static_root():
    """Static files come from the finders in tests (no collectstatic), but WhiteNoise
    still looks in STATIC_ROOT (var/static), which importing the settings no longer
    creates (issue 11). Session-wide, so it exists before the live server starts."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def credential_key_file(tmp_path_factory) -> Path:
    """A credential signing key for the whole run (never the development key under
    var/): 2048 bits, the fastest size RS256 accepts."""
    from certificates.signing import generate_private_key_pem

    path = tmp_path_factory.mktemp("keys") / "credential-signing-key.pem"
    path.write_bytes(generate_private_key_pem(2048))
    return path


@pytest.fixture(autouse=True)
def _test_defaults(settings, tmp_path, credential_key_file):
    """Fast hashing, private media per test, eager Celery, an empty cache (and the
    session engine's pause after a cache failure lifted), the test run's credential
    signing key."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CREDENTIAL_SIGNING_KEY = ""
    settings.CREDENTIAL_SIGNING_KEY_FILE = credential_key_file
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    cache.clear()
    session_engine._paused_until = 0.0
    yield
    celery_app.conf.task_always_eager = eager
    session_engine._paused_until = 0.0


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres"):
        request.getfixturevalue("postgres")
    if request.node.get_closest_marker("redis"):
        request.getfixturevalue("redis_url")


@pytest.fixture
def postgres(db):
    """The test database is PostgreSQL (row locks, real concurrency)."""
    if connection.vendor != "postgresql":
        service_missing(
            "PostgreSQL is not configured (set DATABASE_URL=postgres://...)"
        )
    return connection


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_missing("Redis is not configured (set REDIS_URL=redis://...)")
    if not _reachable(url, 6379):
        service_missing(f"Redis at {url} is not answering")
    return url


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        service_missing("Chromium is not installed (apt-get install -y chromium)")
    return path


@pytest.fixture
def warm_outline(db):
    """Builds the curriculum every process caches (courses.outline) as a running
    server has it: call it after the test's content is made, before counting the
    queries of a page (those of every request but the first after a change)."""

    def warm() -> None:
        from cases.selectors.progress import active_cases_by_course
        from courses.selectors import outline
        from exams.selectors.progress import active_exams_by_course

        outline()
        active_exams_by_course()
        active_cases_by_course()
        # SQLite asks once per connection whether it has JSON functions (the
        # learner-state query uses them): asked here, not inside a counted page.
        assert connection.features.supports_json_field

    return warm


@pytest.fixture
def user(db):
    return factories.UserFactory()


@pytest.fixture
def staff(db):
    return factories.StaffFactory()


@pytest.fixture
def clock():
    """The test's clock, frozen at now: move it as a learner would wait
    (`clock.shift(timedelta(hours=1))`, `clock.move_to(when)`). A test that counts
    requests against a rate limit freezes it too (`usefixtures("clock")`): the
    limits count in fixed windows (core.ratelimit), and a window ending during the
    test would restart the count."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def learner_client(client, user):
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def staff_client(client, staff):
    # Signed in with the password AND a TOTP code: the session carries allauth's
    # "mfa" authentication record, which accounts.selectors.staff_verified requires
    # for every staff privilege (factories.login_with_mfa). A bare force_login(staff)
    # is a password-only session: no admin, treated as a learner elsewhere.
    factories.login_with_mfa(client, staff)
    client.user = staff
    return client


@pytest.fixture
def bls(db):
    """A published BLS course with one module of two lessons."""
    course = factories.CourseFactory(slug="bls", title="Basic Life Support", code="BLS")
    module = factories.ModuleFactory(course=course, slug="adult-cpr", order=1)
    factories.LessonFactory(module=module, slug="adult-compressions", order=1)
    factories.LessonFactory(module=module, slug="two-rescuer-cpr", order=2)
    return course


@pytest.fixture
def acls(db, bls):
    """ACLS, which requires a current BLS certificate."""
    course = factories.CourseFactory(
        slug="acls",
        title="Advanced Cardiovascular Life Support",
        code="ACLS",
        prerequisites=[bls],
    )
    module = factories.ModuleFactory(course=course, slug="rhythms", order=1)
    factories.LessonFactory(module=module, slug="vf", order=1)
    return course


__all__ = ["service_missing", "settings"]
