"""Organization benchmarks, run in a throw-away database (bench/run.py starts this).

An organization of 5,000 members (BENCH_ORG_MEMBERS), all sharing their status,
with 3 required courses (BLS and CPR of everyone, ACLS of nurses): most members hold
certificates expiring anywhere from a year ago to two years ahead, some are
enrolled with lessons done, some hold approved outside cards, and 500 members of
another organization share the same tables. Measured, as an administrator's
browser gets them (Django's test client, the production settings, a signed-in
session): the compliance dashboard (first page, and filtered and sorted), the CSV
and XLSX exports of all members, and the selector alone.

The database comes from DATABASE_URL, which bench/run.py points at a bench database;
this script refuses to run against anything else. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

if os.environ.get("LIFELINE_BENCH") != "1":
    sys.exit("Run bench/run.py: it creates the bench database this script fills.")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Pages render {% static %} links; the bench runs no collectstatic, so plain
# storage instead of the production manifest (it costs the same per link).
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from certificates.models import Certificate, ExternalCertificate  # noqa: E402
from core.dates import site_today  # noqa: E402
from courses.models import Course, Enrollment, Lesson, LessonProgress, Module  # noqa: E402
from organizations.models import (  # noqa: E402
    JobRole,
    Membership,
    Organization,
    Requirement,
)
from organizations.selectors import compliance_for  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_ORG_MEMBERS", "5000"))
OTHERS = 500
RUNS = int(os.environ.get("BENCH_ORG_RUNS", "15"))
BATCH = 2000


def _course(slug: str, code: str, order: int) -> Course:
    course = Course.objects.create(
        slug=slug,
        title=f"{code} course",
        code=code,
        summary="Bench course.",
        hours="4.0",
        validity_months=24,
        order=order,
        is_published=True,
    )
    module = Module.objects.create(course=course, slug="m", title="Module", order=1)
    for n in range(8):
        Lesson.objects.create(
            module=module, slug=f"l{n}", title=f"Lesson {n}", order=n, body_md="Text."
        )
    return course


def _seed() -> tuple[Organization, User, float]:
    started = time.perf_counter()
    today = site_today()
    now = timezone.now()
    bls, acls, cpr = (
        _course("bls", "BLS", 1),
        _course("acls", "ACLS", 2),
        _course("cpr", "CPR", 3),
    )
    organization = Organization.objects.create(name="Bench Hospital", slug="bench")
    other = Organization.objects.create(name="Other Hospital", slug="other")
    nurse = JobRole.objects.create(organization=organization, name="Nurse")
    clerk = JobRole.objects.create(organization=organization, name="Clerical")
    Requirement.objects.create(organization=organization, course=bls)
    Requirement.objects.create(organization=organization, course=cpr)
    Requirement.objects.create(organization=organization, course=acls, job_role=nurse)
    password = make_password(None)
    users = User.objects.bulk_create(
        [
            User(
                email=f"m{n}@bench.example.org",
                legal_name=f"Member {n:05d}",
                password=password,
            )
            for n in range(MEMBERS + OTHERS)
        ],
        batch_size=BATCH,
    )
    # Signed in with force_login: no password.
    admin = User.objects.create_user(email="admin@bench.example.org", password=None)
    Membership.objects.create(
        organization=organization, user=admin, role=Membership.Role.ADMIN
    )
    Membership.objects.bulk_create(
        [
            Membership(
                organization=organization if n < MEMBERS else other,
                user=user,
                job_role=(nurse if n % 2 else clerk) if n < MEMBERS else None,
                joined_at=now - timedelta(days=n % 400),
                consent_given_at=now,
            )
            for n, user in enumerate(users)
        ],
        batch_size=BATCH,
    )
    courses = [bls, acls, cpr]
    enrollments, open_enrollments = [], []
    for n, user in enumerate(users):
        for index, course in enumerate(courses):
            roll = (n * 7 + index * 13) % 10
            if roll < 7:  # certified
                enrollments.append(
                    Enrollment(
                        user=user,
                        course=course,
                        status=Enrollment.Status.COMPLETED,
                        activated_at=now,
                        completed_at=now,
                    )
                )
            elif roll < 9:  # studying
                open_enrollments.append(
                    Enrollment(user=user, course=course, activated_at=now)
                )
    Enrollment.objects.bulk_create(enrollments + open_enrollments, batch_size=BATCH)
    completed = Enrollment.objects.filter(status=Enrollment.Status.COMPLETED).order_by(
        "pk"
    )
    Certificate.objects.bulk_create(
        [
            Certificate(
                enrollment_id=e.pk,
                user_id=e.user_id,
                course_id=e.course_id,
                code=f"BENCH-{e.pk:08d}",
                holder_name="Bench",
                course_title="Bench",
                course_code="B",
                hours="4.0",
                issued_on=today - timedelta(days=730),
                expires_on=today + timedelta(days=(e.pk * 37) % 1095 - 365),
            )
            for e in completed.only("pk", "user_id", "course_id")
        ],
        batch_size=BATCH,
    )
    lessons = {
        course.pk: list(Lesson.objects.filter(course=course).order_by("order"))
        for course in courses
    }
    progress = []
    for e in Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).only(
        "pk", "course_id"
    ):
        for lesson in lessons[e.course_id][: e.pk % 8]:
            progress.append(
                LessonProgress(enrollment_id=e.pk, lesson=lesson, completed_at=now)
            )
    LessonProgress.objects.bulk_create(progress, batch_size=BATCH)
    ExternalCertificate.objects.bulk_create(
        [
            ExternalCertificate(
                user=user,
                course=bls,
                issuer="Another provider",
                card_number=f"EXT{n}",
                issued_on=today - timedelta(days=100),
                expires_on=today + timedelta(days=600),
                file="external-cards/bench.pdf",
                content_type="application/pdf",
                status=ExternalCertificate.Status.APPROVED,
                reviewed_at=now,
            )
            for n, user in enumerate(users[: MEMBERS // 10])
        ],
        batch_size=BATCH,
    )
    return organization, admin, time.perf_counter() - started


def _measure(function) -> dict:
    function()  # warm: templates, imports, the connection
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    walls.sort()
    return {
        "median_ms": round(statistics.median(walls) * 1000, 1),
        "p95_ms": round(walls[max(0, int(len(walls) * 0.95) - 1)] * 1000, 1),
        "cpu_ms": round(statistics.median(cpus) * 1000, 1),
        "runs": RUNS,
    }


def _page(client: Client, url: str, **query):
    def get():
        response = client.get(url, query, secure=True)
        assert response.status_code == 200, response.status_code
        return response

    return get


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    organization, admin, seed_s = _seed()
    client = Client()
    client.force_login(admin)
    dashboard = reverse("organizations:dashboard", args=[organization.slug])
    with CaptureQueriesContext(connection) as queries:
        _page(client, dashboard)()
    compliance = compliance_for(organization=organization)
    result = {
        "database": connection.vendor,
        "members": len(compliance.rows),
        "required_courses": len(compliance.columns),
        "totals": compliance.totals.sentence,
        "seed_s": round(seed_s, 1),
        "dashboard_queries": len(queries),
        "selector": _measure(lambda: compliance_for(organization=organization).totals),
        "dashboard": _measure(_page(client, dashboard)),
        "dashboard_filtered": _measure(
            _page(
                client, dashboard, status="not_compliant", sort="expiry", q="member 0"
            )
        ),
        "export_csv": _measure(
            _page(client, reverse("organizations:export", args=["bench", "csv"]))
        ),
        "export_xlsx": _measure(
            _page(client, reverse("organizations:export", args=["bench", "xlsx"]))
        ),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
