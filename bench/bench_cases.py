"""Case simulation benchmark, run in a throw-away database (bench/run.py starts this).

The action round trip as the server sees it: one POST of the play page's form
through Django's whole request handling (middleware, session, CSRF, the view, the
service, the engine, the database), in-process with Django's test client (no
network), for the no-JavaScript form (post, redirect) and for the page's script
(JSON: the new view and the new log lines). Also the service alone
(`case_attempt_act`). Two cases: the engine's ACLS sample (VF to ROSC, its ideal
path of 21 actions played again and again) and a generated case of 200 states
(its first 21 actions, as many attempts), to show that an action costs the same
whatever the case's length. A third row plays the long case to its end (199
actions in one attempt): the engine's state holds the attempt's timeline, so an
action late in a very long attempt reads and writes a larger JSON column.

The database comes from DATABASE_URL, which bench/run.py points at a bench database;
this script refuses to run against anything else. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

if os.environ.get("LIFELINE_BENCH") != "1":
    sys.exit("Run bench/run.py: it creates the bench database this script fills.")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from cases.engine.rules import rules_for  # noqa: E402
from cases.engine.testing import long_case  # noqa: E402
from cases.forms import action_post  # noqa: E402
from cases.models import Case, CaseAttempt, CaseRules  # noqa: E402
from cases.services import case_attempt_act, case_attempt_start  # noqa: E402
from core.strict_yaml import load_yaml, without_lines  # noqa: E402
from courses.models import Course, Enrollment, Lesson, Module  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_CASE_ROUNDS", "12"))
LONG_STATES = 200
SAMPLE = BASE_DIR / "tests" / "cases" / "fixtures" / "ed-collapse.yaml"
LESSONS = ("vf-pvt", "arrest-drugs", "arrest-airway")


def _setup() -> tuple[Case, Case, list[User]]:
    course = Course.objects.create(
        slug="bench",
        title="Bench",
        code="BENCH",
        summary="Bench.",
        hours=1,
        is_published=True,
    )
    module = Module.objects.create(course=course, slug="m", title="M", order=1)
    for order, slug in enumerate(LESSONS):
        Lesson.objects.create(
            course=course,
            module=module,
            slug=slug,
            title=slug,
            order=order,
            body_md=".",
        )
    CaseRules.objects.create(
        course=course,
        lessons=dict.fromkeys(rules_for(["acls", "lay"], team=True), "vf-pvt"),
    )
    cases = []
    for slug, data in (
        ("sample", without_lines(load_yaml(SAMPLE.read_text(), first_line=1))),
        ("long", long_case(LONG_STATES)),
    ):
        cases.append(
            Case.objects.create(
                course=course,
                slug=slug,
                title=data["title"],
                toolkit=data["toolkit"],
                summary=data["summary"],
                definition=data,
            )
        )
    password = make_password("bench-password")
    users = []
    for n in range(6 * ROUNDS + 3):
        user = User.objects.create(email=f"bench{n}@example.org", password=password)
        Enrollment.objects.create(user=user, course=course)
        users.append(user)
    return cases[0], cases[1], users


def _summary(walls: list[float], cpus: list[float]) -> dict:
    walls_ms = sorted(w * 1000 for w in walls)
    return {
        "n": len(walls_ms),
        "mean_ms": round(statistics.fmean(walls_ms), 2),
        "median_ms": round(statistics.median(walls_ms), 2),
        "p95_ms": round(walls_ms[int(0.95 * (len(walls_ms) - 1))], 2),
        "cpu_ms": round(1000 * statistics.fmean(cpus), 2),
    }


def _client(user: User) -> Client:
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    client.force_login(user)
    return client


def _play_requests(
    case: Case, user: User, *, as_json: bool, limit: int | None = None
) -> tuple[list, list]:
    """One attempt along the case's ideal path (its first `limit` steps), each
    action a timed request."""
    client = _client(user)
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    client.post(reverse("cases:start", args=[case.course.slug, case.slug]), secure=True)
    attempt = CaseAttempt.objects.get(user=user, case=case)
    url = reverse("cases:act", args=[attempt.pk])
    seq = attempt.event_count
    walls, cpus = [], []
    for step in case.definition["ideal"][:limit]:
        data = action_post(step, seq)
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.post(url, data, secure=True, **headers)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        if as_json:
            assert response.status_code == 200, response.content
            seq = response.json()["expected_seq"]
        else:
            assert response.status_code == 302, response
            seq = CaseAttempt.objects.values_list("event_count", flat=True).get(
                pk=attempt.pk
            )
    attempt.refresh_from_db()
    assert attempt.passed or limit, attempt.findings
    return walls, cpus


def _play_service(
    case: Case, user: User, *, limit: int | None = None
) -> tuple[list, list]:
    attempt, _ = case_attempt_start(user=user, case=case)
    seq = attempt.event_count
    walls, cpus = [], []
    for step in case.definition["ideal"][:limit]:
        params = {k: str(v) for k, v in (step.get("with") or {}).items()}
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = case_attempt_act(
            attempt_id=attempt.pk,
            user=user,
            code=step["do"],
            params=params,
            expected_seq=seq,
        )
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        seq = outcome.attempt.event_count
    return walls, cpus


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    sample, long, users = _setup()
    pool = iter(users)
    result: dict = {"database": connection.vendor, "rounds": ROUNDS}
    sample_steps = len(sample.definition["ideal"])
    runs = (
        ("sample", sample, ROUNDS, None),
        ("long", long, ROUNDS, sample_steps),
        ("long_full", long, 1, None),
    )
    for name, case, rounds, limit in runs:
        for mode in ("form", "json", "service"):
            walls, cpus = [], []
            for _ in range(rounds):
                user = next(pool)
                if mode == "service":
                    w, c = _play_service(case, user, limit=limit)
                else:
                    w, c = _play_requests(
                        case, user, as_json=mode == "json", limit=limit
                    )
                walls += w
                cpus += c
            result[f"{name}_{mode}"] = _summary(walls, cpus)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
