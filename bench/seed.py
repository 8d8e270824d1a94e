"""Seed a PostgreSQL database with learner data at a scale, for the scale benchmark.

    python bench/seed.py --scale 1      # lifeline_scale1:   1,000 learners
    python bench/seed.py --scale 100    # lifeline_scale100: 100,000 learners
    make bench-seed SCALE=100

The database is named `lifeline_scale<N>` on the server DATABASE_URL names (which must
be PostgreSQL); it is dropped and created again, migrated, loaded with the real courses,
exams and question banks by `sync_content`, then filled in bulk with PostgreSQL `COPY`.
Per 1x (per 1,000 learners), about: 3,000 certificates (one per completed enrollment),
20,000 graded exam attempts with their attempt questions (about 200,000), 3,500
enrollments, 60,000 lessons done, renewal reminders and audit events to match, dates
spread over the last three years. After seeding, `recount_exam_statistics` runs (for
every exam, or with `--recount bench` only for the exam whose statistics page the
benchmark times: the full recount takes hours at 100x), then VACUUM ANALYZE.

The rows are consistent with the rules the pages and the statistics read: valid foreign
keys; an attempt's answers are its bank's choices and its score, correct count and
pass/fail follow from them; every completed enrollment passed its final exam and has
exactly one certificate (so the sweeper finds nothing owed), whose e-mail was sent;
every lesson of a completed enrollment is done. Two simplifications, for speed and
size (a full snapshot is about 1 KiB a row, 20 GiB at 100x): the attempt questions
keep the bank's choices (keys, correct, choice id) but not the question's, choices'
and explanation's text (`--full-snapshots` writes them, much slower), and a completed
enrollment carries its final exam's attempts and only as many module-exam attempts as
the 20-attempts-per-learner budget leaves (about a third of its modules).

The foreign-key triggers are off during the copy (`session_replication_role`, the
server's superuser; the rows are built valid) so 20 million rows need no 60 million
deferred checks; `seed_rows()` alone fills the current database (the test's).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import random
import string
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent

LEARNERS = 1000  # per 1x
ATTEMPTS_PER_LEARNER = 20
CERTIFICATE_PLAN = ("bls", "cpr-aed", "acls", "bls", "acls")  # in order of completion
CERTIFICATES_PER_LEARNER = (1, 2, 3, 3, 4, 5)  # drawn evenly: 3 on average
CHUNK = 500  # learners per COPY round
YEARS = 3
REMINDER_DAYS = {"90d": -90, "30d": -30, "7d": -7, "expired": 1}
KEY_ALPHABET = string.ascii_letters + string.digits + "-_"


def scale_database_url(url: str, scale: float) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(
            "The scale benchmark needs PostgreSQL: set DATABASE_URL=postgres://..."
        )
    label = f"{scale:g}".replace(".", "_")
    return urlunsplit(parts._replace(path=f"/lifeline_scale{label}"))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# COPY text format ----------------------------------------------------------------


def _esc(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def _fmt(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return _esc(json.dumps(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return _esc(str(value))


class Table:
    """A model's table for COPY: the columns each row gives, and every other column
    filled with its field's default (so a field added later needs no change here,
    unless it has no default and is not nullable: then this says so)."""

    def __init__(self, model, columns: list[str]) -> None:
        fields = {f.column: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no column {sorted(unknown)}")
        self.name = model._meta.db_table
        self.columns = list(columns)
        rest = []
        for column, field in fields.items():
            if column in columns:
                continue
            if field.has_default() or (field.empty_strings_allowed and not field.null):
                rest.append((column, _fmt(field.get_default())))
            elif field.null:
                rest.append((column, "\\N"))
            else:
                raise ValueError(
                    f"{model.__name__}.{field.name} has no default: the seed must "
                    "give it (bench/seed.py)"
                )
        self.all_columns = self.columns + [c for c, _ in rest]
        self.suffix = "".join("\t" + v for _, v in rest) + "\n"

    def sql(self) -> str:
        columns = ", ".join(f'"{c}"' for c in self.all_columns)
        return f'COPY "{self.name}" ({columns}) FROM STDIN'


# The content the rows refer to -----------------------------------------------------


class Content:
    def __init__(self, full_snapshots: bool, rng: random.Random) -> None:
        from certificates.services.issuing import certificate_expiry
        from courses.models import Course, Lesson
        from exams.models import Choice, Exam, Question

        self.expiry = certificate_expiry
        self.courses = {c.slug: c for c in Course.objects.all()}
        missing = set(CERTIFICATE_PLAN) - set(self.courses)
        if missing:
            raise SystemExit(f"Courses missing (sync_content first?): {missing}")
        self.lessons = {
            slug: list(
                Lesson.objects.filter(course__slug=slug, is_published=True)
                .order_by("module__order", "order")
                .values_list("pk", flat=True)
            )
            for slug in self.courses
        }
        exams = list(Exam.objects.filter(is_active=True).order_by("pk"))
        self.finals = {e.course_id: e for e in exams if e.module_id is None}
        self.module_exams = {}
        for exam in sorted(
            (e for e in exams if e.module_id is not None),
            key=lambda e: (e.module.order, e.pk),
        ):
            self.module_exams.setdefault(exam.course_id, []).append(exam)
        choices: dict[int, list[Choice]] = {}
        for choice in Choice.objects.order_by("question_id", "order", "pk"):
            choices.setdefault(choice.question_id, []).append(choice)
        self.questions: dict[int, list[tuple]] = {}  # exam id -> question variants
        for question in Question.objects.filter(is_active=True).order_by("pk"):
            own = choices.get(question.pk, [])
            if not any(c.is_correct for c in own):
                continue
            variants = []
            for _ in range(4):  # presented orders: shuffled, random keys
                shuffled = own[:]
                rng.shuffle(shuffled)
                presented = [
                    {
                        "key": "".join(rng.choices(KEY_ALPHABET, k=8)),
                        "text": c.text if full_snapshots else "",
                        "correct": c.is_correct,
                        "choice": c.pk,
                    }
                    for c in shuffled
                ]
                right = next(p for p in presented if p["correct"])
                wrong = [p for p in presented if not p["correct"]]
                middle = "\t".join(
                    [
                        _esc(question.text_html if full_snapshots else ""),
                        _esc(question.image),
                        _esc(question.image_alt if full_snapshots else ""),
                        _esc(json.dumps(presented)),
                        _esc(question.topic),
                        _esc(question.explanation_html if full_snapshots else ""),
                    ]
                )
                variants.append(
                    (
                        question.pk,
                        middle,
                        (right["key"], right["choice"]),
                        [(w["key"], w["choice"]) for w in wrong],
                    )
                )
            self.questions.setdefault(question.exam_id, []).append(variants)


# Row generation ------------------------------------------------------------------


class Ids:
    def __init__(self, cursor, tables: dict[str, Table]) -> None:
        self.next = {}
        for key, table in tables.items():
            cursor.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table.name}"')  # noqa: S608
            self.next[key] = cursor.fetchone()[0]

    def take(self, key: str) -> int:
        value = self.next[key]
        self.next[key] = value + 1
        return value


def _tables():
    from accounts.models import User
    from audit.models import AuditEvent
    from certificates.models import Certificate, RenewalReminder
    from courses.models import Enrollment, LessonProgress
    from exams.models import Attempt, AttemptQuestion

    return {
        "user": Table(
            User,
            ["id", "password", "email", "legal_name", "profession", "date_joined"],
        ),
        "enrollment": Table(
            Enrollment,
            [
                "id",
                "user_id",
                "course_id",
                "status",
                "enrolled_at",
                "activated_at",
                "completed_at",
                "last_lesson_id",
            ],
        ),
        "progress": Table(
            LessonProgress, ["id", "enrollment_id", "lesson_id", "completed_at"]
        ),
        "certificate": Table(
            Certificate,
            [
                "id",
                "enrollment_id",
                "user_id",
                "course_id",
                "code",
                "holder_name",
                "course_title",
                "course_code",
                "hours",
                "accreditation",
                "guidelines",
                "issued_on",
                "expires_on",
                "status",
                "issued_at",
                "revoked_at",
                "revoke_reason",
                "emailed_at",
                "email_claimed_at",
            ],
        ),
        "reminder": Table(
            RenewalReminder, ["id", "certificate_id", "kind", "claimed_at", "sent_at"]
        ),
        "attempt": Table(
            Attempt,
            [
                "id",
                "user_id",
                "exam_id",
                "enrollment_id",
                "status",
                "started_at",
                "deadline",
                "submitted_at",
                "pass_mark",
                "question_count",
                "correct_count",
                "score",
                "passed",
                "is_test_out",
            ],
        ),
        "item": Table(
            AttemptQuestion,
            [
                "id",
                "attempt_id",
                "question_id",
                "position",
                "text_html",
                "image",
                "image_alt",
                "choices",
                "topic",
                "explanation_html",
                "selected_key",
                "selected_choice_id",
                "answered_at",
                "is_correct",
            ],
        ),
        "audit": Table(
            AuditEvent,
            [
                "id",
                "created_at",
                "action",
                "interface",
                "actor_id",
                "actor_label",
                "subject_id",
                "subject_label",
                "target_type",
                "target_id",
                "target_label",
                "data",
            ],
        ),
    }


FIRST = ["Ana", "Ben", "Chloe", "David", "Elif", "Farah", "Grace", "Hugo", "Ines"]
LAST = ["Garcia", "Nguyen", "Okafor", "Smith", "Kowalski", "Haddad", "Ito", "Moreau"]
PROFESSIONS = ["nurse", "paramedic", "physician", "medical_assistant", "teacher", ""]
# A password hash nobody can log in with (Django's unusable-password marker).
UNUSABLE = "!bench-seed"


class Generator:
    """Builds the COPY lines of a chunk of learners (one list per table)."""

    def __init__(self, content: Content, ids: Ids, rng: random.Random, now) -> None:
        self.c, self.ids, self.rng, self.now = content, ids, rng, now
        self.today = now.date()

    def _when(self, start: datetime, end: datetime) -> datetime:
        span = max((end - start).total_seconds(), 1)
        return start + timedelta(seconds=self.rng.random() * span)

    def chunk(self, first: int, count: int) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {key: [] for key in self.ids.next}
        for n in range(first, first + count):
            self._learner(n, out)
        return out

    def _audit(self, out, at, action, interface, actor, user, target, **data):
        table_id, label = target
        actor_id, actor_label = actor if actor else ("\\N", "system")
        out["audit"].append(
            f"{self.ids.take('audit')}\t{at.isoformat()}\t{action}\t{interface}\t"
            f"{actor_id}\t{actor_label}\t{user[0]}\t{user[1]}\t{table_id[0]}\t"
            f"{table_id[1]}\t{_esc(label)}\t{_esc(json.dumps(data))}"
        )

    def _learner(self, n: int, out) -> None:
        rng, now = self.rng, self.now
        user_id = self.ids.take("user")
        email = f"learner{n}@bench.example.org"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}"
        joined = now - timedelta(days=30 + rng.random() * (365 * YEARS - 30))
        out["user"].append(
            f"{user_id}\t{UNUSABLE}\t{email}\t{name}\t{rng.choice(PROFESSIONS)}\t"
            f"{joined.isoformat()}"
        )
        user = (user_id, email)
        budget = ATTEMPTS_PER_LEARNER
        slugs = CERTIFICATE_PLAN[: rng.choice(CERTIFICATES_PER_LEARNER)]
        ends = sorted(self._when(joined, now - timedelta(days=1)) for _ in slugs)
        completed = []
        start = joined
        for slug, end in zip(slugs, ends, strict=True):
            course = self.c.courses[slug]
            begin = self._when(start, end)
            enrollment = self._enrollment(out, user, course, begin, end)
            completed.append((enrollment, course, begin, end))
            final = self.c.finals[course.pk]
            if rng.random() < 0.3:
                budget -= self._attempt(out, user, enrollment, final, begin, end, False)
            budget -= self._attempt(out, user, enrollment, final, begin, end, True)
            self._certificate(out, user, name, enrollment, course, end)
            start = end
        if rng.random() < 0.5:  # a course in progress
            open_slugs = [s for s in self.c.courses if s not in slugs[-1:]]
            course = self.c.courses[rng.choice(open_slugs)]
            begin = self._when(start, now - timedelta(hours=1))
            lessons = self.c.lessons[course.slug]
            done = rng.randrange(len(lessons) + 1)
            enrollment = self._enrollment(
                out, user, course, begin, None, lessons=lessons[:done]
            )
            exams = self.c.module_exams.get(course.pk, [])
            for exam in exams[: rng.randrange(len(exams) + 1)]:
                budget -= self._module_attempts(out, user, enrollment, exam, begin, now)
        for enrollment, course, begin, end in completed:
            for exam in self.c.module_exams.get(course.pk, []):
                if budget <= 0:
                    return
                budget -= self._module_attempts(out, user, enrollment, exam, begin, end)

    def _module_attempts(self, out, user, enrollment, exam, begin, end) -> int:
        made = 0
        if self.rng.random() < 0.2:
            made += self._attempt(out, user, enrollment, exam, begin, end, False)
        return made + self._attempt(out, user, enrollment, exam, begin, end, True)

    def _enrollment(self, out, user, course, begin, end, lessons=None) -> int:
        pk = self.ids.take("enrollment")
        lessons = self.c.lessons[course.slug] if lessons is None else lessons
        status = "completed" if end else "active"
        last = lessons[-1] if lessons else "\\N"
        out["enrollment"].append(
            f"{pk}\t{user[0]}\t{course.pk}\t{status}\t{begin.isoformat()}\t"
            f"{begin.isoformat()}\t{end.isoformat() if end else chr(92) + 'N'}\t{last}"
        )
        stop = end or self.now
        for lesson in lessons:
            out["progress"].append(
                f"{self.ids.take('progress')}\t{pk}\t{lesson}\t"
                f"{self._when(begin, stop).isoformat()}"
            )
        target = (("courses.enrollment", pk), f"{user[1]} · {course.code} ({status})")
        self._audit(
            out, begin, "enrollment.created", "web", user, user, target,
            course=course.code, status="active", bundle="",
        )  # fmt: skip
        if end:
            self._audit(
                out, end, "enrollment.completed", "web", user, user, target,
                course=course.code,
            )  # fmt: skip
        return pk

    def _attempt(self, out, user, enrollment, exam, begin, end, passed) -> int:
        rng = self.rng
        bank = self.c.questions.get(exam.pk)
        if not bank:
            return 0
        total = min(exam.draw_size or len(bank), len(bank))
        need = math.ceil(exam.pass_mark * total / 100)
        correct = rng.randint(need, total) if passed else rng.randint(0, need - 1)
        right = set(rng.sample(range(total), correct))
        started = self._when(begin, end)
        submitted = started + timedelta(seconds=60 + rng.random() * 60 * total)
        pk = self.ids.take("attempt")
        deadline = (
            (started + timedelta(minutes=exam.time_limit_minutes)).isoformat()
            if exam.time_limit_minutes
            else "\\N"
        )
        score = (Decimal(100 * correct) / Decimal(total)).quantize(Decimal("0.01"))
        out["attempt"].append(
            f"{pk}\t{user[0]}\t{exam.pk}\t{enrollment}\tsubmitted\t"
            f"{started.isoformat()}\t{deadline}\t{submitted.isoformat()}\t"
            f"{exam.pass_mark}\t{total}\t{correct}\t{score}\t"
            f"{'t' if passed else 'f'}\tf"
        )
        answered = submitted.isoformat()
        append = out["item"].append
        rnd = rng.random
        first = self.ids.next["item"]
        self.ids.next["item"] = first + total
        for position, question in enumerate(rng.sample(bank, total), start=1):
            qid, middle, right_choice, wrong = question[int(rnd() * 4)]
            if position - 1 in right:
                (key, choice), mark = right_choice, "t"
            else:
                (key, choice), mark = wrong[int(rnd() * len(wrong))], "f"
            append(
                f"{first + position - 1}\t{pk}\t{qid}\t{position}\t{middle}\t{key}\t"
                f"{choice}\t{answered}\t{mark}"
            )
        return 1

    def _certificate(self, out, user, name, enrollment, course, end) -> None:
        from certificates import codes

        rng = self.rng
        pk = self.ids.take("certificate")
        issued_on = end.date()
        expires_on = self.c.expiry(
            issued_on=issued_on, validity_months=course.validity_months
        )
        chars = "".join(rng.choices(codes.ALPHABET, k=codes.RANDOM_LENGTH))
        code = "-".join(
            [course.code]
            + [
                chars[i : i + codes.GROUP_LENGTH]
                for i in range(0, codes.RANDOM_LENGTH, codes.GROUP_LENGTH)
            ]
        )
        revoked = rng.random() < 0.01
        sent = (end + timedelta(minutes=1)).isoformat()
        out["certificate"].append(
            "\t".join(
                [
                    str(pk),
                    str(enrollment),
                    str(user[0]),
                    str(course.pk),
                    code,
                    _esc(name),
                    _esc(course.title),
                    course.code,
                    str(course.hours),
                    _esc(course.accreditation),
                    _esc(course.guidelines),
                    issued_on.isoformat(),
                    expires_on.isoformat(),
                    "revoked" if revoked else "valid",
                    end.isoformat(),
                    self.now.isoformat() if revoked else "\\N",
                    "Issued in error (bench seed)." if revoked else "",
                    sent,
                    sent,
                ]
            )
        )
        target = (("certificates.certificate", pk), code)
        self._audit(
            out, end, "certificate.issued", "task", None, user, target,
            course=course.code,
        )  # fmt: skip
        if revoked:
            return
        for kind, offset in REMINDER_DAYS.items():
            day = expires_on + timedelta(days=offset)
            if day > self.today:
                continue
            at = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
            out["reminder"].append(
                f"{self.ids.take('reminder')}\t{pk}\t{kind}\t{at.isoformat()}\t"
                f"{at.isoformat()}"
            )
            self._audit(out, at, "reminder.sent", "task", None, user, target, kind=kind)


# Copy --------------------------------------------------------------------------


def _drop_indexes(cursor, tables: list[str]) -> list[str]:
    """Drops the unique constraints and indexes (not the primary keys) of `tables`;
    returns the statements that make them again: building an index once over 20
    million rows is far cheaper than keeping six up to date row by row."""
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype = 'u' "
        "AND c.conrelid::regclass::text = ANY(%s)",
        [tables],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) "
        "AND NOT i.indisprimary AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [tables],
    )
    indexes = cursor.fetchall()
    again = []
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        again.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
        again.append(definition)
    return again


def seed_rows(
    *, scale: float, seed: int = 19, full_snapshots: bool = False, log=None
) -> dict[str, int]:
    """Fills the current (migrated, content-synced) PostgreSQL database with the
    learners of `scale` x 1,000 and everything they did; returns rows per table."""
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(seed)
    learners = max(1, round(LEARNERS * scale))
    content = Content(full_snapshots, rng)
    tables = _tables()
    connection.ensure_connection()
    raw = connection.connection
    counts = dict.fromkeys(tables, 0)
    with raw.cursor() as cursor:
        ids = Ids(cursor, tables)
        generator = Generator(content, ids, rng, timezone.now())
        cursor.execute("SET synchronous_commit = off")
        # No per-row foreign-key checks (the rows are built valid), and none of the
        # learner-version triggers (accounts.learner_state: a fresh database has no
        # kept page to invalidate).
        try:
            cursor.execute("SET session_replication_role = replica")
        except Exception:
            raw.rollback()
        rebuild = []
        if not connection.in_atomic_block and learners >= 10 * CHUNK:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            big = [tables[key].name for key in ("item", "attempt", "progress", "audit")]
            rebuild = _drop_indexes(cursor, big)
        chunks: queue.Queue = queue.Queue(maxsize=2)

        def produce() -> None:
            try:
                for first in range(0, learners, CHUNK):
                    chunks.put(generator.chunk(first, min(CHUNK, learners - first)))
                chunks.put(None)
            except BaseException as error:
                chunks.put(error)
                raise

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        started, done = time.monotonic(), 0
        while (chunk := chunks.get()) is not None:
            if isinstance(chunk, BaseException):
                raise chunk
            for key, lines in chunk.items():
                if not lines:
                    continue
                table = tables[key]
                with cursor.copy(table.sql()) as copy:
                    suffix = table.suffix
                    copy.write("".join(line + suffix for line in lines))
                counts[key] += len(lines)
            done += len(chunk["user"])
            if log and (done % (CHUNK * 20) == 0 or done == learners):
                seconds = time.monotonic() - started
                log(f"  {done:,} of {learners:,} learners, {seconds:.0f} s")
        producer.join()
        for statement in rebuild:
            if log:
                log(f"  {statement[:100]}")
            cursor.execute(statement)
        for table in tables.values():
            name = table.name
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608
                f'(SELECT coalesce(max(id), 1) FROM "{name}"))'
            )
        cursor.execute("SET session_replication_role = DEFAULT")
    if not connection.in_atomic_block:
        raw.commit()
    return counts


def statistics_exams() -> list:
    """The exams whose statistics page the benchmark times: the ACLS final, the
    worst case (the largest bank, 50 questions an attempt: the most pairs). Its
    recount took 40 minutes at 100x on a busy 2-CPU machine (a BLS module exam's,
    137,000 attempts, was on course for an hour), so the benchmark's seeding
    recounts this one only."""
    from exams.models import Exam

    return [Exam.objects.get(course__slug="acls", module=None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1,000 learners")
    parser.add_argument(
        "--full-snapshots",
        action="store_true",
        help="write each attempt question's text, choices' text and explanation",
    )
    parser.add_argument(
        "--recount",
        choices=("all", "bench"),
        default="all",
        help="rebuild the statistics counters of every exam (default), or only of "
        "the exams bench/bench_pages.py times (statistics_exams)",
    )
    args = parser.parse_args()
    url = scale_database_url(os.environ.get("DATABASE_URL", ""), args.scale)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.0f} s] {message}", flush=True)

    log(f"recreating {urlsplit(url).path.lstrip('/')}")
    recreate_database(url)
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    log("migrated; sync_content")
    call_command("sync_content", verbosity=0)
    log(f"content loaded; seeding {args.scale:g}x")
    counts = seed_rows(scale=args.scale, full_snapshots=args.full_snapshots, log=log)
    log("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    exam_ids = [] if args.recount == "all" else [e.pk for e in statistics_exams()]
    log(f"recount_exam_statistics {' '.join(map(str, exam_ids)) or '(all exams)'}")
    call_command("recount_exam_statistics", *exam_ids)
    log("VACUUM ANALYZE")
    connection.close()
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        )
        log(f"done: {size.fetchone()[0]}")


if __name__ == "__main__":
    main()
