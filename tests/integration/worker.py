"""A real Celery worker process for integration tests, and how to wait on it.

The worker gets the environment a production worker would have: DATABASE_URL pointing
at pytest-django's test database (PostgreSQL: SQLite cannot be shared between
processes), REDIS_URL as the broker, its own queue (so concurrent CI jobs and developers sharing a Redis never steal each other's
tasks), file-based e-mail into a temporary folder, and media in another.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import functools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

WORKER_START_TIMEOUT = 60
TASK_TIMEOUT = 60


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


def wait_for(
    condition: Callable[[], object], *, timeout: float = TASK_TIMEOUT, what: str
) -> object:
    """Polls `condition` until it returns something truthy; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    pytest.fail(f"Timed out after {timeout}s waiting for {what}")


@dataclass
class WorkerProcess:
    """A running `celery worker` and what it wrote."""

    process: subprocess.Popen
    node: str
    queue: str
    env: dict[str, str]
    mail_dir: Path
    log_path: Path
    media_dir: Path
    broker_url: str
    seen_mail_files: set[Path] = field(default_factory=set)

    @functools.cached_property
    def app(self) -> Celery:
        """A client app of the worker's own broker (maybe a private Redis): the
        project's app keeps publishing to the configured one."""
        if self.broker_url == celery_app.conf.broker_url:
            return celery_app
        app = Celery("lifeline-test-client", set_as_current=False)
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.conf.broker_url = self.broker_url
        app.conf.task_always_eager = False
        return app

    def connection(self):
        return self.app.connection_for_write()

    def send(self, task, *args) -> None:
        """Queues `task(*args)` for this worker on its own broker and queue."""
        self.app.send_task(task.name, args, queue=self.queue)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole worker (main process and pool children) at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def messages(self) -> list[EmailMessage]:
        """Every e-mail the worker sent so far (file-based backend)."""
        found = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(
                        email.message_from_bytes(chunk, policy=email.policy.default)
                    )
        return found

    def clear_mail(self) -> None:
        for path in self.mail_dir.glob("*.log"):
            path.unlink()

    def _busy(self) -> bool:
        try:
            inspect = self.app.control.inspect(destination=[self.node], timeout=1.0)
            active = (inspect.active() or {}).get(self.node)
            reserved = (inspect.reserved() or {}).get(self.node)
            with self.connection() as conn:
                queued = conn.default_channel.client.llen(self.queue)
        except Exception:
            return True
        if active is None or reserved is None:
            return True  # no answer: cannot tell it is idle
        return bool(active or reserved or queued)

    def wait_until_idle(self, *, timeout: float = TASK_TIMEOUT) -> None:
        """Waits until the queue is empty and the worker runs nothing (twice in a
        row, so a task that queues another is seen through)."""
        streak = 0

        def idle() -> bool:
            nonlocal streak
            streak = 0 if self._busy() else streak + 1
            return streak >= 2

        wait_for(idle, timeout=timeout, what=f"worker idle; log:\n{self.log()[-3000:]}")


def start_worker(
    base_dir: Path,
    work_dir: Path,
    redis_url: str,
    *,
    email_url: str | None = None,
    concurrency: int = 2,
    queue: str | None = None,
    production_flags: bool = False,
) -> WorkerProcess:
    """Starts a worker; `email_url` (e.g. an SmtpSink's) replaces the file mailbox.
    A second worker in the same `work_dir` shares its media and mailbox."""
    uid = uuid.uuid4().hex[:10]
    queue, node = queue or f"test-{uid}", f"test-{uid}@localhost"
    mail_dir, media_dir = work_dir / "mail", work_dir / "media"
    mail_dir.mkdir(exist_ok=True)
    media_dir.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        # filemail:// + absolute path: django-environ drops one leading slash.
        "EMAIL_URL": email_url or f"filemail:///{mail_dir}",
        "MEDIA_ROOT": str(media_dir),
        "SECRET_KEY": "integration-test-worker-key",
        "SITE_URL": settings.SITE_URL,
        "LOG_LEVEL": "INFO",
    }
    # The worker runs as in production: config.settings, not the suite's test settings
    # (pytest-django exports DJANGO_SETTINGS_MODULE=config.settings_test).
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = work_dir / f"worker-{uid}.log"
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool=prefork", f"--concurrency={concurrency}", f"--hostname={node}",
        "--loglevel=INFO",
    ]  # fmt: skip
    if not production_flags:  # as `celery worker` runs in production: all on
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=base_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(
        process=process,
        node=node,
        queue=queue,
        env=env,
        mail_dir=mail_dir,
        log_path=log_path,
        media_dir=media_dir,
        broker_url=redis_url,
    )

    def answers_ping() -> bool:
        if process.poll() is not None:
            pytest.fail(f"The worker exited at start-up:\n{worker.log()}")
        return bool(worker.app.control.ping(destination=[node], timeout=0.5))

    wait_for(answers_ping, timeout=WORKER_START_TIMEOUT, what="the worker to start")
    return worker


def stop_worker(worker: WorkerProcess) -> None:
    """Stops the worker (warm shutdown) and deletes its queue, if its broker is up."""
    if worker.process.poll() is None:
        worker.process.send_signal(signal.SIGTERM)  # warm shutdown
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait(timeout=10)
    with contextlib.suppress(Exception), worker.connection() as conn:
        conn.default_channel.client.delete(worker.queue)
