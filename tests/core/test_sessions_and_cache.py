"""Sessions read through the shared cache (core.sessions) and the Redis cache backend
that keeps one client per pool (core.cache): a signed-in page costs no session query,
log-out ends the session everywhere, and an unreachable cache costs only the database
read (issue 19)."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import sessions
from tests.factories import UserFactory
from tests.outages import closed_port_url

pytestmark = pytest.mark.django_db


def _session_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


@pytest.fixture
def signed_in(client):
    client.force_login(UserFactory(legal_name="Ana Lima"))
    return client


def test_a_signed_in_page_reads_its_session_from_the_cache(signed_in):
    signed_in.get(reverse("courses:dashboard"))  # the session is in the cache now
    with CaptureQueriesContext(connection) as queries:
        assert signed_in.get(reverse("courses:dashboard")).status_code == 200
    assert _session_queries(queries) == []


def test_a_session_missing_from_the_cache_is_read_from_the_database(signed_in):
    cache.clear()  # evicted, or Redis restarted
    with CaptureQueriesContext(connection) as queries:
        assert signed_in.get(reverse("courses:dashboard")).status_code == 200
    assert len(_session_queries(queries)) == 1
    with CaptureQueriesContext(connection) as queries:
        signed_in.get(reverse("courses:dashboard"))
    assert _session_queries(queries) == []  # kept again


def test_log_out_ends_the_session_in_the_cache_too(signed_in):
    cookie = signed_in.cookies["sessionid"].value
    signed_in.post(reverse("account_logout"))
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(reverse("courses:dashboard"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_cache_keeps_a_session_for_minutes_not_weeks(client, monkeypatch):
    """Both writes of a copy (after a database read, and a save at sign-in) last
    at most CACHE_TTL."""
    kept = []
    original = cache.set

    def spy(key, value, timeout=None, **kwargs):
        if key.startswith(sessions.SessionStore.cache_key_prefix):
            kept.append(timeout)
        return original(key, value, timeout, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    user = UserFactory(legal_name="Ana Lima")
    user.set_password("correct horse battery")
    user.save()
    assert client.login(email=user.email, password="correct horse battery")
    saved = len(kept)
    cache.clear()
    client.get(reverse("courses:dashboard"))
    assert saved >= 1 and len(kept) > saved
    assert all(0 < timeout <= sessions.CACHE_TTL for timeout in kept)


def test_a_save_the_cache_refuses_drops_the_older_copy(signed_in, monkeypatch):
    """Redis refusing writes (out of memory) but not deletes: the database has the
    new session and the cache no older copy of it."""
    signed_in.get(reverse("courses:dashboard"))  # a copy in the cache
    store = sessions.SessionStore(signed_in.cookies["sessionid"].value)
    assert cache.get(store.cache_key) is not None

    def refuse(*args, **kwargs):
        raise ConnectionError("OOM command not allowed")

    monkeypatch.setattr(cache, "set", refuse)
    store["seen_notice"] = True
    store.save()
    assert cache.get(store.cache_key) is None
    assert sessions.SessionStore(store.session_key).load()["seen_notice"] is True


@pytest.fixture
def cache_unreachable(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": closed_port_url(),
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }


def test_pages_and_log_out_work_while_the_cache_is_unreachable(
    signed_in, cache_unreachable, caplog
):
    with caplog.at_level(logging.WARNING, logger="core.sessions"):
        assert signed_in.get(reverse("courses:dashboard")).status_code == 200
        failures = caplog.text.count("Session cache")
        # The cache is left alone for a while: no second wait on the same outage.
        assert signed_in.get(reverse("courses:dashboard")).status_code == 200
        assert caplog.text.count("Session cache") == failures
        cookie = signed_in.cookies["sessionid"].value
        assert signed_in.post(reverse("account_logout")).status_code == 302
    assert "Session cache read failed" in caplog.text
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get(reverse("courses:dashboard")).status_code == 302


def test_the_redis_backend_keeps_one_client_per_pool(settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "test-core-cache",
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    from django.core.cache import cache as shared

    shared.set("greeting", {"text": "hello"}, 30)
    assert shared.get("greeting") == {"text": "hello"}
    client = shared._cache.get_client(write=True)
    assert shared._cache.get_client() is client
    shared.delete("greeting")
    assert shared.get("greeting") is None
