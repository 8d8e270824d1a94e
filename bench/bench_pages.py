"""Learner pages, staff pages and the content sync over a seeded database at scale
(bench/run.py starts this, once per scale, with DATABASE_URL naming the database
bench/seed.py filled).

Two parts, both with the production settings (config.settings, DEBUG off):

1. In this process, with Django's test client: the queries each page runs
   (CaptureQueriesContext), the exam statistics page, the admin changelists over the
   big tables (unfiltered, and with a search) as a staff member who passed TOTP
   (tests.factories.login_with_mfa: the session record allauth keeps), a no-change
   `sync_content` and the first one after a deploy (`_sync`; queries and seconds)
   and the certificate sweeper's selection.
   The first call of each is reported apart (a cold cache), then the median of the
   next runs.
2. gunicorn (2 sync workers) on the loopback, loaded by wrk (or threads here when
   the machine has no wrk): each page and /healthz in interleaved rounds, medians;
   requests per second, the workers' CPU ms per request and the ratio to /healthz.

The cheap reference page is a real one: `/about/` (an information page extending
base.html, two or three queries), so no bench-only view is mounted in production
URLs; its query count is reported beside it.

The bench learner, staff member and their enrollments, progress and open attempt are
made (or found) here, so a run on a reseeded or a reused database alike. Prints one
JSON object; the machine's load average (/proc/loadavg) is recorded around each
measurement.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Plain HTTP on the loopback, in this process and in the server alike.
os.environ["SECURE_SSL_REDIRECT"] = "false"

if os.environ.get("LIFELINE_BENCH") != "1":
    sys.exit("Run bench/run.py (make bench BENCH_ARGS='--only pages').")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import learner_pages  # noqa: E402
from accounts.models import User  # noqa: E402
from bench.seed import statistics_exams  # noqa: E402
from bench.serving import (  # noqa: E402
    free_port,
    load_threads,
    load_wrk,
    loadavg,
    median,
    request,
    start_gunicorn,
)
from certificates.codes import generate_code  # noqa: E402
from certificates.models import Certificate  # noqa: E402
from certificates.services.issuing import certificate_expiry  # noqa: E402
from certificates.services.sweeper import certificates_sweep  # noqa: E402
from courses.models import Course, Enrollment, Lesson  # noqa: E402
from courses.services import enrollment_create, lesson_complete, lesson_open  # noqa: E402
from exams.models import Attempt, AttemptQuestion, Exam  # noqa: E402
from exams.services.attempts import (  # noqa: E402
    attempt_rows_create,
    exam_questions_draw,
)
from tests.factories import StaffFactory, login_with_mfa  # noqa: E402

WORKERS = 2
ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_PAGES_SECONDS", "4"))  # per page per round
CONCURRENCY = int(os.environ.get("BENCH_PAGES_CONCURRENCY", "4"))
STAFF_RUNS = int(os.environ.get("BENCH_STAFF_RUNS", "3"))  # after the cold one
SLOW_MS = 10_000  # a first call slower than this is repeated once, not STAFF_RUNS
LEARNER = "bench-learner@bench.example.org"
STAFF = "bench-staff@bench.example.org"
CSRF = "benchbenchbenchbenchbenchbench32"  # a CSRF secret: 32 characters


def _timed(function, runs: int = STAFF_RUNS) -> dict:
    """The first call (cold), then the median of `runs` more (one when the first took
    over SLOW_MS); queries of the last."""
    before = loadavg()
    times: list[float] = []
    while len(times) < runs + 1:
        queries = [0]

        def count(execute, sql, params, many, context, queries=queries):
            queries[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            start = time.perf_counter()
            function()
            times.append((time.perf_counter() - start) * 1000)
        if times[0] > SLOW_MS:  # one warm run is enough to show a slow path
            runs = 1
    return {
        "cold_ms": round(times[0], 1),
        "median_ms": round(statistics.median(times[1:]), 1),
        "queries": queries[0],
        "load": f"{before} -> {loadavg()}",
    }


def _get(client: Client, url: str, expect: int = 200):
    def page():
        response = client.get(url)
        if response.status_code != expect:
            sys.exit(f"{url}: {response.status_code}, expected {expect}")

    return page


# The bench's own learner and staff member ------------------------------------------


def _learner() -> tuple[User, dict[str, str], Attempt]:
    """A learner holding BLS, enrolled in ACLS with lessons done, an open attempt of
    the ACLS final (50 questions); returns them, the pages' URLs and the attempt."""
    user, _ = User.objects.get_or_create(
        email=LEARNER, defaults={"legal_name": "Bench Learner"}
    )
    bls, acls = Course.objects.get(slug="bls"), Course.objects.get(slug="acls")
    now = timezone.now()
    if not Certificate.objects.filter(user=user, course=bls).exists():
        enrollment = Enrollment.objects.create(
            user=user,
            course=bls,
            status=Enrollment.Status.COMPLETED,
            activated_at=now,
            completed_at=now,
        )
        Certificate.objects.create(
            enrollment=enrollment,
            user=user,
            course=bls,
            code=generate_code(bls.code),
            holder_name=user.legal_name,
            course_title=bls.title,
            course_code=bls.code,
            hours=bls.hours,
            issued_on=now.date(),
            expires_on=certificate_expiry(
                issued_on=now.date(), validity_months=bls.validity_months
            ),
            emailed_at=now,
        )
    enrollment = Enrollment.objects.filter(
        user=user, course=acls, status=Enrollment.Status.ACTIVE
    ).first() or enrollment_create(user=user, course=acls)
    lessons = list(
        Lesson.objects.filter(course=acls).order_by("module__order", "order")
    )
    for lesson in lessons[:5]:
        lesson_open(enrollment=enrollment, lesson=lesson)
        lesson_complete(enrollment=enrollment, lesson=lesson)
    lesson = lessons[5]
    lesson_open(enrollment=enrollment, lesson=lesson)
    final = Exam.objects.get(course=acls, module=None)
    # The final opens once every module exam is passed; the bench opens its attempt
    # with the rows exams.services.attempts.exam_attempt_start makes, without
    # playing the course through first.
    for attempt in Attempt.objects.filter(user=user, status=Attempt.Status.OPEN):
        attempt.items.all().delete()
        attempt.delete()
    attempt = attempt_rows_create(
        user=user,
        exam=final,
        enrollment=enrollment,
        questions=exam_questions_draw(user=user, exam=final),
    )
    urls = {
        "catalog": "/",
        "dashboard": "/dashboard/",
        "lesson": f"/learn/acls/{lesson.module.slug}/{lesson.slug}/",
        "course home": "/learn/acls/",
        f"exam page, {attempt.question_count} questions": (
            f"/exams/attempts/{attempt.pk}/"
        ),
    }
    return user, urls, attempt


def _staff() -> User:
    user = User.objects.filter(email=STAFF).first()
    return user or StaffFactory(email=STAFF, legal_name="Bench Staff")


# Part 1: in this process -----------------------------------------------------------


def _page_queries(client: Client, anonymous: Client, urls: dict, autosave) -> dict:
    counts = {}
    for name, url in {"about (cheap page)": "/about/", **urls}.items():
        page_client = anonymous if name in ("catalog", "about (cheap page)") else client
        page_client.get(url)  # warm
        # A page kept per learner (accounts.learner_pages) is counted drawn (as on
        # a visit after a change to the learner's records) and kept.
        learner_pages.forget()
        with CaptureQueriesContext(connection) as drawn:
            page_client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = page_client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url}: {response.status_code}")
        counts[name] = (
            len(queries)
            if len(drawn) == len(queries)
            else f"{len(queries)} kept, {len(drawn)} drawn"
        )
    path, bodies = autosave
    for body in bodies:  # the second changes the answer the first saved
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                path, body, content_type="application/x-www-form-urlencoded"
            )
        if response.status_code != 204:
            sys.exit(f"autosave: {response.status_code} {response.content[:200]!r}")
    counts["autosave (POST)"] = len(queries)
    return counts


def _admin(client: Client) -> dict:
    from audit.models import AuditEvent
    from certificates.models import RenewalReminder

    learner = User.objects.filter(email__startswith="learner").order_by("pk").last()
    email = learner.email if learner else LEARNER
    surname = (learner.legal_name.split()[1] if learner else "Learner").lower()
    lists = [
        (Attempt, email),
        (Certificate, surname),
        (User, email),
        (Enrollment, email),
        (RenewalReminder, email),
        (AuditEvent, email),
    ]
    results = {}
    for model, term in lists:
        label = f"{model._meta.app_label}/{model._meta.model_name}"
        if model not in admin.site._registry:
            results[label] = {"registered": False}
            continue
        url = f"/admin/{label}/"
        results[label] = {
            "unfiltered": _timed(_get(client, url)),
            "search": _timed(_get(client, f"{url}?q={term}")),
            "search_term": term,
        }
    return results


def _statistics(client: Client) -> dict:
    return {
        f"{exam.title} ({exam.attempts.count():,} attempts)": _timed(
            _get(client, f"/exams/{exam.pk}/statistics/")
        )
        for exam in statistics_exams()
    }


def _sync() -> dict:
    """The no-change sync, and the first sync after a deploy.

    A sync skips reading the tree only when the files, the rows and the code that
    reads them are as its last run left them (curriculum/services/fingerprint.py): a
    release that changes that code re-reads every file once. So the database is
    first brought to what this code writes, by a sync in its own process as a
    release runs it; the cold call here is then the first no-change sync of this
    process (whose other measurements have imported most of the code already), the
    sync the issue asks about. The re-read a deploy costs is measured apart
    (`--force`: it reads and compares every file, as that first sync does)."""
    subprocess.run(  # noqa: S603 - our interpreter, our manage.py
        [sys.executable, str(BASE_DIR / "manage.py"), "sync_content", "-v", "0"],
        check=True,
        stdout=subprocess.DEVNULL,  # this process prints the JSON result
    )

    def sync(**options):
        call_command(
            "sync_content", verbosity=0, stdout=open(os.devnull, "w"), **options
        )

    return {
        "no change": _timed(sync, runs=1),
        "re-read (first after a deploy)": _timed(lambda: sync(force=True), runs=1),
    }


def _sweeper() -> dict:
    def sweep():
        certificates_sweep(issue=lambda pk: None, tell=lambda pk: None)

    return _timed(sweep)


def _totals() -> dict:
    from audit.models import AuditEvent
    from certificates.models import RenewalReminder
    from courses.models import LessonProgress

    with connection.cursor() as cursor:  # estimates: counting 20M rows takes a while
        totals = {}
        for model in (
            User,
            Enrollment,
            LessonProgress,
            Certificate,
            RenewalReminder,
            Attempt,
            AttemptQuestion,
            AuditEvent,
        ):
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [model._meta.db_table],
            )
            totals[str(model._meta.verbose_name_plural)] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        totals["database size"] = cursor.fetchone()[0]
    return totals


# Part 2: gunicorn ------------------------------------------------------------------


def _throughput(urls: dict, cookie: str, autosave) -> dict:
    import shutil

    use_wrk = shutil.which("wrk") is not None
    learner_headers = {"Cookie": cookie}
    targets = {"/healthz": ("/healthz", "GET", None, {}, 200)}
    targets["about (cheap page)"] = ("/about/", "GET", None, {}, 200)
    # The issue's reference pages (bench/urls.py): three plain ORM queries, signed in.
    targets["reference: 3 queries, plain template"] = (
        "/bench/reference/plain/",
        "GET",
        None,
        learner_headers,
        200,
    )
    targets["reference: 3 queries, extends base.html"] = (
        "/bench/reference/base/",
        "GET",
        None,
        learner_headers,
        200,
    )
    for name, url in urls.items():
        headers = {} if name == "catalog" else learner_headers
        targets[name] = (url, "GET", None, headers, 200)
    path, body = autosave
    targets["autosave (POST)"] = (
        path,
        "POST",
        body,
        {
            **learner_headers,
            "X-CSRFToken": CSRF,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        204,
    )
    connection.close()  # the server's workers open their own
    port = free_port()
    # The site's settings with the reference pages mounted (bench/settings.py).
    server = start_gunicorn(
        port, workers=WORKERS, env={"DJANGO_SETTINGS_MODULE": "bench.settings"}
    )
    measured: dict[str, list[dict]] = {name: [] for name in targets}
    loads = []
    try:
        for url, method, body_, headers, expect in targets.values():
            bodies = (body_,) if body_ is None or isinstance(body_, str) else body_
            for number in range(20):  # warm: imports, connections, caches
                status, content = request(
                    port,
                    url,
                    method=method,
                    body=bodies[number % len(bodies)],
                    headers=headers,
                )
                if status != expect:
                    sys.exit(f"{url}: {status}, expected {expect}: {content[:300]!r}")
        for _ in range(ROUNDS):
            before = loadavg()
            for name, (url, method, body_, headers, expect) in targets.items():
                if use_wrk:
                    seconds = SECONDS
                    while True:  # a slow page: longer, for at least 20 requests
                        result = load_wrk(
                            port,
                            url,
                            server.pid,
                            seconds=seconds,
                            concurrency=CONCURRENCY,
                            method=method,
                            body=body_,
                            headers=headers,
                            expect=expect,
                        )
                        if result["requests"] >= 20 or seconds >= 60:
                            break
                        seconds *= 3
                else:
                    result = load_threads(
                        port,
                        url,
                        server.pid,
                        requests=int(SECONDS * 50),
                        concurrency=CONCURRENCY,
                        method=method,
                        body=body_,
                        headers=headers,
                        expect=expect,
                    )
                    result["p90_ms"] = result.pop("p95_ms")
                result.pop("requests", None)
                measured[name].append(result)
            loads.append(f"{before} -> {loadavg()}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    pages = {name: median(rounds) for name, rounds in measured.items()}
    healthz = pages["/healthz"]
    for result in pages.values():
        result["ratio"] = round(result["per_second"] / healthz["per_second"], 3)
    return {"client": "wrk" if use_wrk else "threads", "pages": pages, "loads": loads}


def main() -> None:
    started = time.monotonic()
    load_start = loadavg()
    # A database seeded by an earlier version gets the migrations since (as a
    # release would); nothing to do when it is up to date.
    call_command("migrate", interactive=False, verbosity=0)
    # Production serves static files through the manifest collectstatic writes
    # (STATIC_ROOT, var/static); quick when nothing changed.
    call_command("collectstatic", interactive=False, verbosity=0)
    user, urls, attempt = _learner()
    staff = _staff()
    client, anonymous = Client(), Client()
    client.force_login(user)
    # As a learner changing answers: each save writes (the attempt is fresh, an
    # hour and a half left, so its saves commit as most do, without waiting for the
    # disk: exams.services.answers.ASYNCHRONOUS_COMMIT). The bodies go in turn over
    # four questions, so the four connections' saves in flight touch different
    # questions, and each question's answers alternate between two of its keys.
    items = list(attempt.items.order_by("position")[:4])
    autosave = (
        f"/exams/attempts/{attempt.pk}/answer/",
        tuple(
            f"{item.field_name}={item.keys[turn]}" for turn in (0, 1) for item in items
        ),
    )
    queries = _page_queries(client, anonymous, urls, autosave)
    staff_client = Client()
    login_with_mfa(staff_client, staff)
    reset_queries()
    result = {
        "database": connection.settings_dict["NAME"],
        "totals": _totals(),
        "queries": queries,
        "statistics": _statistics(staff_client),
        "admin": _admin(staff_client),
        "sync_content": _sync(),
        "sweeper": _sweeper(),
    }
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"
    result["throughput"] = _throughput(urls, cookie, autosave)
    result["rounds"], result["seconds"] = ROUNDS, SECONDS
    result["concurrency"], result["workers"] = CONCURRENCY, WORKERS
    result["load"] = f"{load_start} -> {loadavg()}"
    result["elapsed_s"] = round(time.monotonic() - started)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
