"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app


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
            conn.ensure_connection(max_retries=1, timeout=2)
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


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers and, when configured, the broker too.

    `?workers=1` also pings the Celery workers (for monitoring the whole deployment;
    a web process's own readiness does not depend on workers, so it is opt-in).
    """
    checks = {"database": _database_problem(), "broker": _broker_problem()}
    if request.GET.get("workers") == "1":
        checks["workers"] = _workers_problem()
    problems = [problem for problem in checks.values() if problem]
    body = {
        "status": "unavailable" if problems else "ok",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    return JsonResponse(body, status=503 if problems else 200)
