"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import hmac
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.selectors import staff_verified

from .celery import app as celery_app

# The broker checks run here, each given what is left of READYZ_DEADLINE: a hung Redis
# makes /readyz answer 503 on time, and the check itself ends at the Redis socket
# timeouts (settings.REDIS_SOCKET_TIMEOUT), so stuck checks do not pile up.
READYZ_DEADLINE = 1.5  # seconds: with the rest of the request, under 2 s
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving. Touches nothing else."""
    return JsonResponse({"status": "ok"})


def _database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def _broker_problem() -> str | None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None  # no broker configured: tasks run in-process
    try:
        with celery_app.connection_for_write() as conn:
            # One try: the Redis timeouts bound it, READYZ_DEADLINE bounds the wait.
            conn.ensure_connection(max_retries=0)
    except Exception as exc:  # kombu raises transport-specific errors
        return f"broker unreachable: {exc.__class__.__name__}"
    return None


def _workers_problem() -> str | None:
    """A ping over the broker's control channel: some worker answered within 1 s."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None  # tasks run in the web process itself
    try:
        replies = celery_app.control.ping(timeout=1.0)
    except Exception as exc:  # kombu raises transport-specific errors
        return f"broker unreachable: {exc.__class__.__name__}"
    return None if replies else "no Celery worker answered"


def _may_ping_workers(request: HttpRequest) -> bool:
    """Staff whose session passed two-factor (accounts.selectors.staff_verified), or
    a caller with `Authorization: Bearer <READYZ_TOKEN>`."""
    if staff_verified(request):
        return True
    token = settings.READYZ_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )


def _run_checks(remote: dict) -> dict[str, str | None]:
    """The database check here (its connection belongs to this thread) while the
    remote checks run in the pool; a remote check still running at the deadline is
    reported as a problem."""
    deadline = time.monotonic() + READYZ_DEADLINE
    futures = {name: _checks.submit(check) for name, check in remote.items()}
    results = {"database": _database_problem()}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0, deadline - time.monotonic()))
        except FutureTimeout:
            results[name] = f"no answer within {READYZ_DEADLINE} s"
    return results


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers and, when configured, the broker too,
    within READYZ_DEADLINE; 503 with the reason otherwise.

    `?workers=1` also pings the Celery workers (for monitoring the whole deployment;
    a web process's own readiness does not depend on workers, so it is opt-in). It
    holds a thread for about a second, so only staff or a caller presenting the
    READYZ_TOKEN bearer token may ask for it; anyone else gets 403.
    """
    remote = {"broker": _broker_problem}
    if request.GET.get("workers") == "1":
        if not _may_ping_workers(request):
            return JsonResponse(
                {
                    "status": "forbidden",
                    "detail": "workers=1 needs a staff session or the READYZ_TOKEN "
                    "bearer token; plain /readyz is open to all.",
                },
                status=403,
            )
        remote["workers"] = _workers_problem
    checks = _run_checks(remote)
    problems = [problem for problem in checks.values() if problem]
    body = {
        "status": "unavailable" if problems else "ok",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    return JsonResponse(body, status=503 if problems else 200)
