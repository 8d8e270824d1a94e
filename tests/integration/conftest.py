"""Integration fixtures: one real Celery worker process per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.conftest import _reachable, service_missing

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
