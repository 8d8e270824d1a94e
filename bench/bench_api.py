"""Throughput of the verification API as a ratio to /healthz on the same server
(bench/run.py starts this).

A gunicorn server (config.wsgi, production settings, DEBUG off, sync workers as the
Procfile runs them) on the loopback, over the throw-away database DATABASE_URL names,
with one certificate in it. A client in this process sends the same number of
requests to /healthz (the cheapest view: no database, no cache) and to
GET /api/v1/certificates/<code> (the rate-limit counter in the cache, one query,
the JSON), from a few threads at once, alternating the two in rounds so the machine's
other work falls on both alike. The API's rate limit is raised out of the way.

Reported per target: requests per second (wall clock), p50/p95 latency, and the
server's CPU time per request (the gunicorn workers' user + system time from /proc:
steadier than the wall clock on a shared machine). The ratios are API / healthz.
Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

if os.environ.get("LIFELINE_BENCH") != "1":
    sys.exit("Run bench/run.py: it creates the bench database this script fills.")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.serving import (  # noqa: E402
    free_port,
    load_threads,
    median,
    request,
    start_gunicorn,
)
from certificates.codes import generate_code  # noqa: E402
from certificates.models import Certificate  # noqa: E402
from courses.models import Course, Enrollment  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "1500"))  # per target, per round
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_API_CONCURRENCY", "4"))
WORKERS = int(os.environ.get("BENCH_API_WORKERS", "2"))


def _seed() -> str:
    course, _ = Course.objects.get_or_create(
        slug="bls",
        defaults={
            "title": "Basic Life Support",
            "code": "BLS",
            "summary": "Bench course.",
            "hours": "4.5",
            "validity_months": 24,
            "is_published": True,
        },
    )
    user = User.objects.create(
        email="api-bench@bench.example.org", legal_name="Bench Holder"
    )
    now = timezone.now()
    enrollment = Enrollment.objects.create(
        user=user,
        course=course,
        status=Enrollment.Status.COMPLETED,
        activated_at=now,
        completed_at=now,
    )
    today = timezone.localdate()
    certificate = Certificate.objects.create(
        enrollment=enrollment,
        user=user,
        course=course,
        code=generate_code("BLS"),
        holder_name=user.legal_name,
        course_title=course.title,
        course_code=course.code,
        hours=course.hours,
        issued_on=today,
        expires_on=today.replace(year=today.year + 2),
    )
    return certificate.code


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    code = _seed()
    vendor = connection.vendor
    connection.close()  # the server's workers open their own
    port = free_port()
    server = start_gunicorn(
        port, workers=WORKERS, env={"CERTIFICATE_API_RATE_LIMIT": str(10**9)}
    )
    api_path = f"/api/v1/certificates/{code}"
    try:
        status, body = request(port, api_path)
        if status != 200 or json.loads(body)["status"] != "valid":
            sys.exit(f"The API did not verify the certificate: {status} {body!r}")
        for path in ("/healthz", api_path):  # warm both up: imports, connections
            for _ in range(50):
                request(port, path)
        measured: dict[str, list[dict]] = {"healthz": [], "api": []}
        for _ in range(ROUNDS):
            for name, path in (("healthz", "/healthz"), ("api", api_path)):
                measured[name].append(
                    load_threads(
                        port,
                        path,
                        server.pid,
                        requests=REQUESTS,
                        concurrency=CONCURRENCY,
                    )
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    healthz, api = median(measured["healthz"]), median(measured["api"])
    result = {
        "database": vendor,
        "cache": "redis" if os.environ.get("REDIS_URL") else "local memory",
        "workers": WORKERS,
        "concurrency": CONCURRENCY,
        "requests": REQUESTS,
        "rounds": ROUNDS,
        "healthz": healthz,
        "api": api,
        "ratio_per_second": round(api["per_second"] / healthz["per_second"], 2),
        "ratio_cpu": round(api["cpu_ms"] / healthz["cpu_ms"], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
