"""Integration fixtures: one real Celery worker process per test module."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import _reachable, service_missing

from .outside import PrivateRedis, SmtpSink, smtp_sink
from .worker import WorkerProcess, start_worker, stop_worker


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, tmp_path_factory) -> Iterator[WorkerProcess]:
    """A Celery worker process (prefork, two children) consuming a private queue."""
    if connection.vendor != "postgresql":
        service_missing(
            "worker tests need PostgreSQL shared with the worker "
            "(set DATABASE_URL=postgres://...)"
        )
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        service_missing("Redis is not configured (set REDIS_URL=redis://...)")
    if not _reachable(redis_url, 6379):
        service_missing(f"Redis at {redis_url} is not answering")
    worker = start_worker(
        Path(settings.BASE_DIR), tmp_path_factory.mktemp("worker"), redis_url
    )
    try:
        yield worker
    finally:
        stop_worker(worker)


@pytest.fixture
def worker(celery_worker_process, transactional_db) -> Iterator[WorkerProcess]:
    """The module's worker, with tasks from this process sent to it for real (not
    run eagerly) and an empty mailbox."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_default_queue
    conf.task_always_eager = False
    conf.task_default_queue = celery_worker_process.queue
    celery_worker_process.clear_mail()
    try:
        yield celery_worker_process
    finally:
        celery_worker_process.wait_until_idle()
        conf.task_always_eager, conf.task_default_queue = saved


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own (no persistence), to stop and restart."""
    if connection.vendor != "postgresql":
        service_missing(
            "worker tests need PostgreSQL shared with the worker "
            "(set DATABASE_URL=postgres://...)"
        )
    if not shutil.which("redis-server"):
        service_missing("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """A counting SMTP sink answering each message 0.1 s late (10 a second)."""
    with smtp_sink(delay=0.1) as running:
        yield running


@pytest.fixture
def fault_workers(
    private_redis, sink, transactional_db, tmp_path
) -> Iterator[Callable[[], WorkerProcess]]:
    """Starts workers on the private Redis, e-mailing through the sink; they share
    media and queue, so a second one takes over from a killed first. Stopped at the
    end of the test."""
    started: list[WorkerProcess] = []
    queue = f"fault-{uuid.uuid4().hex[:8]}"

    def start(**options) -> WorkerProcess:
        worker = start_worker(
            Path(settings.BASE_DIR),
            tmp_path,
            private_redis.url(),
            email_url=sink.url,
            queue=queue,
            **options,
        )
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            if worker.alive():
                stop_worker(worker)
