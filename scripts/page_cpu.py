"""CPU milliseconds and queries per request of the learner pages, in-process.

A development aid for issue 19 (the official ratios come from `make bench`): drives
each page through Django's whole request handling with the test client (no network,
no server) and reports, per page, the process CPU time per request (median of
`--rounds` rounds of `--requests` requests), the wall time and the queries one
request makes. `/healthz` is measured the same way, so the ratios in the last column
are comparable between runs on a busy machine.

Run it against a scratch database it may fill (it migrates and syncs content/):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lifeline_pagecpu \
    REDIS_URL=redis://127.0.0.1:6379/10 .venv/bin/python scripts/page_cpu.py

The database must be empty or one this script filled before (it refuses any other).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "page-cpu-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

EMAIL = "page-cpu@example.com"


def _setup() -> dict[str, str]:
    from accounts.models import User
    from courses.models import Course, Enrollment, LessonProgress
    from courses.services import enrollment_create, lesson_open
    from exams.models import Attempt, Exam, Question
    from exams.services.attempts import attempt_rows_create

    call_command("migrate", verbosity=0)
    # The production settings serve hashed static names from the manifest: collected
    # apart from var/static, which a test run beside this one reads.
    settings.STATIC_ROOT = BASE_DIR / "var" / "page-cpu-static"
    call_command("collectstatic", interactive=False, verbosity=0)
    if (
        User.objects.exists() and not User.objects.filter(email=EMAIL).exists()
    ) or not Course.objects.exists():
        if User.objects.exists():
            sys.exit("This database has users this script did not make: refusing.")
        call_command("sync_content", verbosity=0)
    user, created = User.objects.get_or_create(
        email=EMAIL, defaults={"profession": "nurse"}
    )
    bls = Course.objects.get(slug="bls")
    acls = Course.objects.get(slug="acls")
    if created:
        user.set_password("x")
        user.save()
        enrollment = enrollment_create(user=user, course=bls)
        lessons = list(bls.lessons.published().in_order())
        for lesson in lessons[:3]:
            lesson_open(enrollment=enrollment, lesson=lesson)
            LessonProgress.objects.create(
                enrollment=enrollment, lesson=lesson, completed_at=timezone.now()
            )
        # An ACLS final of 50 questions, open (the checks before a start skipped).
        acls_enrollment = Enrollment.objects.create(user=user, course=acls)
        final = Exam.objects.get(course=acls, module__isnull=True)
        # Made as exam_attempt_start makes them, open for ten years.
        questions = Question.objects.filter(exam=final, is_active=True).order_by("pk")
        attempt = attempt_rows_create(
            user=user,
            exam=final,
            enrollment=acls_enrollment,
            questions=list(questions[:50]),
        )
        Attempt.objects.filter(pk=attempt.pk).update(
            deadline=timezone.now() + timezone.timedelta(days=3650)
        )
    enrollment = Enrollment.objects.get(user=user, course=bls, status="active")
    lesson = list(bls.lessons.published().in_order())[3]
    attempt = Attempt.objects.get(user=user, status="open")
    items = list(attempt.items.order_by("position")[:3])
    autosave = {item.field_name: item.choices[0]["key"] for item in items}
    return {
        "user": user.pk,
        "enrollment": enrollment.pk,
        "lesson": lesson.get_absolute_url(),
        "attempt": attempt.get_absolute_url(),
        "answer": reverse("exams:answer", args=[attempt.pk]),
        "autosave": autosave,
    }


def _measure(client: Client, method: str, url: str, data, requests: int):
    def call():
        # Secure: the production settings redirect plain HTTP to HTTPS.
        if method == "post":
            return client.post(url, data, secure=True)
        return client.get(url, secure=True)

    for _ in range(max(5, requests // 10)):
        response = call()
    if response.status_code not in (200, 204):
        sys.exit(f"{url} answered {response.status_code}")
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for _ in range(requests):
        call()
    cpu = (time.process_time() - cpu_start) / requests * 1000
    wall = (time.perf_counter() - wall_start) / requests * 1000
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    from accounts.models import User

    setup = _setup()
    user = User.objects.get(pk=setup["user"])
    anonymous, learner = Client(), Client()
    learner.force_login(user)
    pages = [
        ("healthz", anonymous, "get", "/healthz", None),
        ("catalog (anonymous)", anonymous, "get", reverse("courses:catalog"), None),
        ("catalog (signed in)", learner, "get", reverse("courses:catalog"), None),
        ("course home", learner, "get", reverse("courses:home", args=["bls"]), None),
        ("lesson", learner, "get", setup["lesson"], None),
        ("dashboard", learner, "get", reverse("courses:dashboard"), None),
        ("exam page (50 questions)", learner, "get", setup["attempt"], None),
        ("autosave", learner, "post", setup["answer"], setup["autosave"]),
    ]
    if args.only:
        pages = [p for p in pages if p[0] == "healthz" or args.only in p[0]]
    results = {name: [] for name, *_ in pages}
    for _ in range(args.rounds):
        for name, client, method, url, data in pages:
            results[name].append(_measure(client, method, url, data, args.requests))
    queries = {}
    for name, client, method, url, data in pages:
        with CaptureQueriesContext(connection) as captured:
            if method == "post":
                client.post(url, data, secure=True)
            else:
                client.get(url, secure=True)
        queries[name] = len(captured)
    health = statistics.median(cpu for cpu, _ in results["healthz"])
    print(f"{os.getloadavg()=}")
    print("| page | CPU ms | wall ms | queries | CPU ratio to /healthz |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, rounds in results.items():
        cpu = statistics.median(c for c, _ in rounds)
        wall = statistics.median(w for _, w in rounds)
        print(
            f"| {name} | {cpu:.2f} | {wall:.2f} | {queries[name]} | "
            f"{health / cpu:.3f} |"
        )


if __name__ == "__main__":
    main()
