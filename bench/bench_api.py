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

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
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
from certificates.codes import generate_code  # noqa: E402
from certificates.models import Certificate  # noqa: E402
from courses.models import Course, Enrollment  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "1500"))  # per target, per round
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_API_CONCURRENCY", "4"))
WORKERS = int(os.environ.get("BENCH_API_WORKERS", "2"))
TIMEOUT = 10  # seconds, per request


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _start_server(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CERTIFICATE_API_RATE_LIMIT": str(10**9),
    }
    server = subprocess.Popen(  # noqa: S603 - our interpreter, gunicorn from the venv
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _get(port, "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within 60 s")


def _workers_cpu_seconds(master: int) -> float:
    """User + system CPU time of the gunicorn master's children (its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _load(port: int, path: str, master: int) -> dict:
    """REQUESTS GETs of `path` from CONCURRENCY threads; every answer must be 200."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    counter = iter(range(REQUESTS))

    def work() -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            start = time.perf_counter()
            status, _ = _get(port, path)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    failures.append(status)

    cpu = _workers_cpu_seconds(master)
    start = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    cpu = _workers_cpu_seconds(master) - cpu
    if failures:
        sys.exit(f"{path}: {len(failures)} answers were not 200 ({failures[:5]})")
    latencies.sort()
    return {
        "per_second": REQUESTS / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "cpu_ms": cpu / REQUESTS * 1000,
    }


def _median(rounds: list[dict]) -> dict:
    return {
        key: round(statistics.median(r[key] for r in rounds), 2) for key in rounds[0]
    }


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    code = _seed()
    vendor = connection.vendor
    connection.close()  # the server's workers open their own
    port = _free_port()
    server = _start_server(port)
    api_path = f"/api/v1/certificates/{code}"
    try:
        status, body = _get(port, api_path)
        if status != 200 or json.loads(body)["status"] != "valid":
            sys.exit(f"The API did not verify the certificate: {status} {body!r}")
        for path in ("/healthz", api_path):  # warm both up: imports, connections
            for _ in range(50):
                _get(port, path)
        measured: dict[str, list[dict]] = {"healthz": [], "api": []}
        for _ in range(ROUNDS):
            measured["healthz"].append(_load(port, "/healthz", server.pid))
            measured["api"].append(_load(port, api_path, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
    healthz, api = _median(measured["healthz"]), _median(measured["api"])
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
