"""A hung Redis (accepts connections, never answers) costs seconds, never a 500.

Each test runs its own fake Redis on a free loopback port (tests/outages.py), so the
shared Redis is never touched and no service is needed. Time bounds here are generous
on purpose: the design targets are 2 s for /readyz and a few seconds for a publish
(the Redis timeouts in settings); the bounds leave room for a busy 2-CPU CI machine
while staying far below gunicorn's 30 s worker timeout, which is what turned the hang
into a 500 in production. A regression fails at the bound instead of hanging the suite.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate
from config.celery import app as celery_app
from courses.models import Enrollment
from exams.services import exam_attempt_start
from tests import factories
from tests.exams.conftest import answers_for, as_post, complete_lessons, make_bank
from tests.outages import HungServer, call_within

pytestmark = pytest.mark.slow

READYZ_BOUND = 5  # seconds; target 2 (READYZ_DEADLINE is 1.5)
PUBLISH_BOUND = 12  # seconds; the settings give about 2 x (1 + 2) s at worst
BLOCKED = 25  # seconds after which the call counts as hung (gunicorn kills at 30)


def _fresh_producer_pools() -> None:
    # The app keeps its connection and producer pools for the broker it first used.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_at(monkeypatch, settings):
    """Points Celery at a broker URL, publishing for real (not eagerly), with the
    transport options from settings."""

    def point(url: str) -> None:
        settings.CELERY_TASK_ALWAYS_EAGER = False
        monkeypatch.setattr(celery_app.conf, "broker_url", url)
        celery_app.conf.task_always_eager = False  # the autouse fixture restores it
        _fresh_producer_pools()

    yield point
    _fresh_producer_pools()


@pytest.fixture
def hung_redis():
    with HungServer() as server:
        yield server


def test_readyz_answers_503_promptly_while_redis_hangs(
    transactional_db, client, broker_at, hung_redis
):
    broker_at(hung_redis.url)
    response, elapsed = call_within(BLOCKED, lambda: client.get("/readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"
    assert elapsed < READYZ_BOUND, f"/readyz took {elapsed:.1f} s"
    print(f"/readyz answered in {elapsed:.2f} s")


def test_readyz_with_workers_answers_503_promptly_while_redis_hangs(
    transactional_db, staff_client, broker_at, hung_redis
):
    broker_at(hung_redis.url)
    response, elapsed = call_within(
        BLOCKED, lambda: staff_client.get("/readyz?workers=1")
    )
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] != "ok"
    assert elapsed < READYZ_BOUND, f"/readyz?workers=1 took {elapsed:.1f} s"


@pytest.fixture
def final_attempt(transactional_db, user, bls):
    """The learner's BLS enrollment with every lesson done and the final exam open."""
    final = factories.ExamFactory(course=bls, title="BLS final exam", draw_size=4)
    make_bank(final, 6)
    enrollment = factories.EnrollmentFactory(user=user, course=bls)
    complete_lessons(enrollment)
    attempt, _ = exam_attempt_start(user=user, exam=final)
    return attempt


def test_passed_final_redirects_and_is_stored_while_the_broker_hangs(
    final_attempt, user, broker_at, hung_redis, caplog
):
    broker_at(hung_redis.url)
    client = Client()
    client.force_login(user)
    url = reverse("exams:attempt", args=[final_attempt.pk])
    answers = as_post(answers_for(final_attempt))
    with caplog.at_level(logging.WARNING, logger="certificates.tasks"):
        response, elapsed = call_within(BLOCKED, lambda: client.post(url, answers))
    assert response.status_code == 302
    assert response["Location"] == url
    enrollment = Enrollment.objects.get(user=user)
    assert enrollment.status == Enrollment.Status.COMPLETED
    assert enrollment.completed_at is not None
    # The certificate task was not queued; the hourly sweeper issues it later.
    assert not Certificate.objects.exists()
    assert "the sweeper will catch up" in caplog.text
    assert elapsed < PUBLISH_BOUND, f"the submit took {elapsed:.1f} s"
