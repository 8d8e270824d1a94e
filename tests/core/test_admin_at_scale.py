"""The admin at scale (issue 19): every list over a table that grows with the
learners costs the same number of queries whatever the page holds, finds rows
through indexed fields only, and never counts the whole table on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import core.admin
from accounts.models import User
from audit.models import AuditEvent
from cases.models import Case, CaseAttempt, CaseVersion
from certificates.codes import ALPHABET
from certificates.models import Certificate, RenewalReminder
from core.admin import LargeTableAdmin
from courses.models import Enrollment
from exams.models import Attempt, AttemptQuestion, Exam
from tests.factories import (
    CourseFactory,
    ExamFactory,
    MembershipFactory,
    ModuleFactory,
    OrganizationFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db

NAMES = ["Maria Garcia", "Kwame Mensah", "Yuki Tanaka", "Olga Ivanova"]


def make_learners(count: int) -> list[User]:
    """`count` learners, each with a completed BLS enrollment, its certificate and
    a reminder, a passed attempt at each of three exams, a case attempt, a
    membership and an audit event: one row per learner in every large table."""
    course = CourseFactory(slug="bls", code="BLS", title="Basic Life Support")
    module = ModuleFactory(course=course, slug="cpr", order=1)
    exams = [
        ExamFactory(course=course, kind=Exam.Kind.MODULE, module=module, title="CPR"),
        ExamFactory(course=course, kind=Exam.Kind.FINAL, title="Final exam"),
        ExamFactory(course=CourseFactory(slug="acls", code="ACLS"), title="Final"),
    ]
    case = Case.objects.create(
        course=course, slug="collapse", title="Collapse", toolkit="bls", definition={}
    )
    version = CaseVersion.objects.create(
        case=case, digest="d" * 64, definition={}, rule_lessons={}, created_at=now()
    )
    organization = OrganizationFactory()
    users = User.objects.bulk_create(
        User(
            email=f"member{i}@example.org",
            legal_name=f"{NAMES[i % len(NAMES)]} {i}",
            password="!",
        )
        for i in range(count)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            user=user,
            course=course,
            status=Enrollment.Status.COMPLETED,
            activated_at=now(),
            completed_at=now(),
        )
        for user in users
    )
    certificates = Certificate.objects.bulk_create(
        Certificate(
            enrollment=enrollment,
            user=enrollment.user,
            course=course,
            code=f"BLS-{ALPHABET[i // 32]}{ALPHABET[i % 32]}AA-AAAA-BBBB",
            holder_name=enrollment.user.legal_name,
            course_title=course.title,
            course_code="BLS",
            hours=4,
            issued_on=timezone.localdate(),
            expires_on=timezone.localdate() + timedelta(days=730),
        )
        for i, enrollment in enumerate(enrollments)
    )
    RenewalReminder.objects.bulk_create(
        RenewalReminder(certificate=certificate, kind=RenewalReminder.Kind.DAYS_90)
        for certificate in certificates
    )
    Attempt.objects.bulk_create(
        Attempt(
            user=enrollment.user,
            exam=exam,
            enrollment=enrollment,
            status=Attempt.Status.SUBMITTED,
            started_at=now(),
            submitted_at=now(),
            pass_mark=80,
            question_count=1,
            correct_count=1,
            score=100,
            passed=True,
        )
        for enrollment in enrollments
        for exam in exams
    )
    CaseAttempt.objects.bulk_create(
        CaseAttempt(
            user=enrollment.user,
            case=case,
            version=version,
            enrollment=enrollment,
            status=CaseAttempt.Status.FINISHED,
            started_at=now(),
            finished_at=now(),
            state={},
            passed=True,
        )
        for enrollment in enrollments
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditEvent.Action.ENROLLMENT_CREATED,
            interface=AuditEvent.Interface.WEB,
            actor=user,
            actor_label=user.email,
            subject=user,
            subject_label=user.email,
        )
        for user in users
    )
    for user in users:
        MembershipFactory(organization=organization, user=user)
    return users


def now():
    return timezone.now()


# Each list, plain, filtered and searched, with its queries: the staff member (the
# session comes from the cache), their authenticator (the staff rule), then the list's own. None grows
# with the rows. PostgreSQL asks one more: the table's size estimate (pg_class).
ON_POSTGRES = int(connection.vendor == "postgresql")
LISTS = [
    ("admin:exams_attempt_changelist", {}, 6),
    ("admin:exams_attempt_changelist", {"exam__id__exact": "<exam>"}, 6),
    ("admin:exams_attempt_changelist", {"q": "member0@example.org"}, 6),
    ("admin:exams_attempt_changelist", {"q": "garcia"}, 6),
    ("admin:certificates_certificate_changelist", {}, 5),
    ("admin:certificates_certificate_changelist", {"q": "member0@"}, 5),
    ("admin:certificates_certificate_changelist", {"status__exact": "valid"}, 5),
    ("admin:certificates_renewalreminder_changelist", {}, 4),
    ("admin:accounts_user_changelist", {}, 4),
    ("admin:accounts_user_changelist", {"q": "garcia"}, 4),
    ("admin:courses_enrollment_changelist", {}, 6),
    ("admin:courses_enrollment_changelist", {"q": "member0@"}, 6),
    ("admin:audit_auditevent_changelist", {}, 4),
    ("admin:audit_auditevent_changelist", {"q": "member0@"}, 4),
    ("admin:cases_caseattempt_changelist", {}, 6),
    ("admin:organizations_membership_changelist", {}, 5),
]


@pytest.mark.parametrize("rows", [1, 100])
@pytest.mark.parametrize(
    ("name", "params", "queries"),
    LISTS,
    ids=[f"{name.split(':')[1]}-{params}" for name, params, _ in LISTS],
)
def test_each_large_list_costs_the_same_queries_whatever_the_page_holds(
    staff_client, django_assert_num_queries, rows, name, params, queries
):
    make_learners(rows)
    exam = str(Exam.objects.order_by("pk").first().pk)
    params = {
        key: exam if value == "<exam>" else value for key, value in params.items()
    }
    url = reverse(name)
    staff_client.get(url, params)  # the session's first request settles it
    with django_assert_num_queries(queries + ON_POSTGRES):
        page = staff_client.get(url, params)
    assert page.status_code == 200
    shown = page.context["cl"].result_list
    assert len(shown) >= min(rows, 1)


def test_the_exam_filter_labels_every_exam_in_one_query(
    staff_client, django_assert_num_queries
):
    make_learners(1)
    for i in range(20):
        ExamFactory(course=CourseFactory(code=f"C{i}"), title=f"Exam {i}")
    url = reverse("admin:exams_attempt_changelist")
    staff_client.get(url)
    with django_assert_num_queries(6 + ON_POSTGRES):
        page = staff_client.get(url).content.decode()
    assert "C19 · Exam 19" in page


@pytest.mark.parametrize("questions", [1, 30])
def test_an_attempt_page_costs_the_same_queries_whatever_its_questions(
    staff_client, django_assert_num_queries, questions
):
    make_learners(1)
    attempt = Attempt.objects.first()
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            question=QuestionFactory(exam=attempt.exam, key=f"key-{i}"),
            position=i + 1,
            text_html="<p>?</p>",
            choices=[{"key": "a", "text": "Yes", "correct": True, "choice": None}],
            selected_key="a",
            answered_at=now(),
            is_correct=True,
        )
        for i in range(questions)
    )
    url = reverse("admin:exams_attempt_change", args=[attempt.pk])
    staff_client.get(url)
    with django_assert_num_queries(4):
        page = staff_client.get(url).content.decode()
    assert f"key-{questions - 1}" in page
    assert "member0@example.org" in page


def found(client, name: str, term: str) -> list:
    page = client.get(reverse(name), {"q": term})
    assert page.status_code == 200
    return list(page.context["cl"].result_list)


def test_certificates_are_found_by_code_as_typed_by_email_and_by_name(staff_client):
    learners = make_learners(8)
    name = "admin:certificates_certificate_changelist"
    first = Certificate.objects.get(user=learners[0])
    typed = first.code.lower().replace("-", " ")
    assert found(staff_client, name, typed) == [first]
    assert found(staff_client, name, "MEMBER0@example.org") == [first]
    assert {c.user for c in found(staff_client, name, "member")} == set()
    assert {c.user for c in found(staff_client, name, "tanaka")} == {
        learners[2],
        learners[6],
    }
    assert found(staff_client, name, "yuki tanaka 6") == [
        Certificate.objects.get(user=learners[6])
    ]
    assert found(staff_client, name, "BLS-9999-9999-9999") == []


def test_attempts_and_enrollments_are_found_by_the_learner(staff_client):
    learners = make_learners(8)
    attempts = found(staff_client, "admin:exams_attempt_changelist", "member3@")
    assert {a.user for a in attempts} == {learners[3]}
    assert len(attempts) == 3
    by_name = found(staff_client, "admin:exams_attempt_changelist", "Mensah 5")
    assert {a.user for a in by_name} == {learners[5]}
    enrollments = found(staff_client, "admin:courses_enrollment_changelist", "kwame")
    assert {e.user for e in enrollments} == {learners[1], learners[5]}


def test_users_are_found_by_email_or_its_beginning_and_by_name(staff_client):
    learners = make_learners(12)
    name = "admin:accounts_user_changelist"
    assert found(staff_client, name, "member1@example.org") == [learners[1]]
    assert set(found(staff_client, name, "member1")) == {
        learners[1],
        learners[10],
        learners[11],
    }
    assert set(found(staff_client, name, "olga")) == {
        learners[3],
        learners[7],
        learners[11],
    }


def test_audit_events_are_found_by_the_address_of_subject_or_actor(staff_client):
    learners = make_learners(3)
    events = found(staff_client, "admin:audit_auditevent_changelist", "Member2@")
    assert [e.subject for e in events] == [learners[2]]


def test_every_large_list_is_read_only_and_has_no_date_hierarchy():
    large = {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, LargeTableAdmin)
    }
    for model in (
        Attempt,
        Certificate,
        RenewalReminder,
        User,
        Enrollment,
        AuditEvent,
        CaseAttempt,
    ):
        assert model in large, model
    for model_admin in large.values():
        assert model_admin.date_hierarchy is None, model_admin
        assert model_admin.show_full_result_count is False, model_admin


def _indexes(model) -> list[list[str]]:
    """The columns of each index on `model` (with their direction), as names."""
    indexes = [list(index.fields) for index in model._meta.indexes]
    return indexes + [
        [field.name] for field in model._meta.fields if field.unique or field.db_index
    ]


def _ordering(model_admin, request) -> list[str]:
    """The changelist's ORDER BY: the admin's or the model's, made total by the
    primary key as the admin does."""
    model = model_admin.model
    ordering = [
        field.replace("pk", "id").removesuffix("_id")
        if field.lstrip("-") != "id"
        else field
        for field in model_admin.get_ordering(request) or model._meta.ordering
    ]
    if not any(model._meta.get_field(f.lstrip("-")).unique for f in ordering):
        ordering.append("-id" if ordering[0].startswith("-") else "id")
    return ordering


def test_every_large_list_is_ordered_by_an_index(rf, staff):
    """An index serves the list's ORDER BY, in either direction: the first page
    reads its rows and stops. (A single-column index on the leading column is
    enough: PostgreSQL orders the rare ties by the key as it goes.)"""
    request = rf.get("/")
    request.user = staff
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, LargeTableAdmin):
            continue
        ordering = _ordering(model_admin, request)
        flipped = [f[1:] if f.startswith("-") else f"-{f}" for f in ordering]
        plain = [f.lstrip("-") for f in ordering]
        assert any(
            index[: len(ordering)] in (ordering, flipped) or index == plain[:1]
            for index in _indexes(model)
        ), (model, ordering)


def test_the_count_of_a_large_table_is_postgresql_s_estimate(
    postgres, staff_client, monkeypatch
):
    """Above the threshold the whole table's count is `reltuples` (as of the last
    ANALYZE: certificates issued since do not change it) and a filtered count is
    the planner's; below it, or on SQLite, counts are exact."""
    monkeypatch.setattr(core.admin, "ESTIMATE_ABOVE", 5)
    make_learners(20)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE certificates_certificate")
    more = make_more_certificates(3)
    url = reverse("admin:certificates_certificate_changelist")
    listed = staff_client.get(url).context["cl"]
    assert listed.result_count == 20
    assert listed.full_result_count is None
    assert staff_client.get(url, {"q": more[0].code}).context["cl"].result_count == 1


def test_counts_are_exact_where_no_estimate_applies(staff_client, monkeypatch):
    """SQLite has no estimate: exact whatever the table's size (a threshold of 5
    below the table's 23 rows). On PostgreSQL a table under the threshold (the
    default, 10,000) is counted exactly too, though its statistics say 20 rows."""
    if connection.vendor != "postgresql":
        monkeypatch.setattr(core.admin, "ESTIMATE_ABOVE", 5)
    make_learners(20)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE certificates_certificate")
    make_more_certificates(3)
    url = reverse("admin:certificates_certificate_changelist")
    assert staff_client.get(url).context["cl"].result_count == 23


def make_more_certificates(count: int) -> list[Certificate]:
    course = CourseFactory(slug="bls")
    made = []
    for i in range(count):
        user = User.objects.create(email=f"late{i}@example.org", legal_name="Late")
        enrollment = Enrollment.objects.create(
            user=user,
            course=course,
            status=Enrollment.Status.COMPLETED,
            completed_at=now(),
        )
        made.append(
            Certificate.objects.create(
                enrollment=enrollment,
                user=user,
                course=course,
                code=f"BLS-LATE-{'ABCD'[i]}AAA-BBBB",
                holder_name="Late",
                course_title="BLS",
                course_code="BLS",
                hours=4,
                issued_on=timezone.localdate(),
                expires_on=timezone.localdate() + timedelta(days=730),
            )
        )
    return made


def test_postgresql_sessions_run_without_jit(postgres):
    """Heavy queries are not JIT-compiled (docs/OPERATIONS.md, "PostgreSQL JIT")."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
