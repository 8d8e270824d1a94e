"""Learner pages kept until what they show changes (accounts.learner_pages), and the
state version the database moves on every write to a learner's records
(accounts.learner_state)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.learner_pages import MAX_AGE
from accounts.learner_state import (
    learner_tables,
    learner_triggers_install,
    learner_triggers_remove,
)
from accounts.models import LearnerVersion
from accounts.selectors import learner_version
from certificates.models import Certificate, ExternalCertificate, HolderNameRequest
from core.dates import site_today
from courses.models import Enrollment, LessonProgress
from courses.services import lesson_open
from exams.models import Attempt, AttemptQuestion, CooldownClearance
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrollmentFactory,
    ExamFactory,
    ExternalCertificateFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Tables holding a learner's rows that no kept page shows, so writes to them do not
# move the version (a new one must be registered or named here, with why).
NOT_SHOWN = {
    "admin.LogEntry": "the admin's history",
    "account.EmailAddress": "sign-in addresses (the profile page is not kept)",
    "mfa.Authenticator": "two-factor devices: staff pages are not kept",
    "accounts.User_groups": "groups: permissions matter to staff only",
    "accounts.User_user_permissions": "permissions: staff only",
    "audit.AuditEvent": "the audit trail",
    "cases.CaseEvent": "each action of a case run (the case player, not kept)",
    "exams.AttemptQuestion": "the answers, written at every autosave",
    "certificates.RenewalReminder": "reminder e-mails sent",
    "certificates.BadgeCredential": "the certificate's badge (its own pages)",
    "organizations.Membership": "the header's links come from the session",
    "organizations.Invitation": "organization pages",
    "organizations.JoinLink": "organization pages",
    "organizations.ApiToken": "organization pages",
    "organizations.SeatGrant": "organization pages",
    "organizations.SeatAssignment": "organization pages (enrolling moves it)",
    "organizations.SeatAssignment_enrollments": "organization pages",
    "organizations.SkillsCheck": "organization pages",
}


def version(user) -> int:
    return learner_version(user_id=user.pk)


def test_every_table_of_a_learners_records_is_watched_or_named():
    watched = {table.model for table in learner_tables()}
    owners = watched | {get_user_model()}
    unwatched = set()
    for model in apps.get_models(include_auto_created=True):
        if model in watched:
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in owners:
                unwatched.add(model._meta.label)
    assert unwatched == set(NOT_SHOWN)


def test_the_triggers_are_installed_on_every_watched_table():
    tables = {table.model._meta.db_table for table in learner_tables()}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = 'learner_version'"
            )
        else:
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")
        installed = {row[0] for row in cursor.fetchall()}
    assert tables <= installed


@pytest.fixture
def learning(user, bls):
    """The learner enrolled in BLS, one lesson done."""
    enrollment = EnrollmentFactory(user=user, course=bls)
    lesson = bls.lessons.order_by("order").first()
    LessonProgress.objects.create(
        enrollment=enrollment, lesson=lesson, completed_at=timezone.now()
    )
    return enrollment


def _attempt(enrollment) -> Attempt:
    exam = ExamFactory(course=enrollment.course, title="BLS final exam")
    return Attempt.objects.create(
        user=enrollment.user,
        exam=exam,
        enrollment=enrollment,
        status=Attempt.Status.SUBMITTED,
        started_at=timezone.now(),
        submitted_at=timezone.now(),
        score=50,
        passed=False,
        pass_mark=80,
    )


# Each write as something other than a service might make it: a model save, a bulk
# update or delete (the admin, a data fix, a shell).
WRITES = {
    "the profile (bulk update)": lambda e: (
        get_user_model()
        .objects.filter(pk=e.user_id)
        .update(legal_name="Dana Q. Learner")
    ),
    "an enrollment (bulk update)": lambda e: Enrollment.objects.filter(pk=e.pk).update(
        lesson_views_current_from=timezone.now()
    ),
    "an enrollment (delete)": lambda e: Enrollment.objects.filter(pk=e.pk).delete(),
    "lesson progress (bulk delete)": lambda e: LessonProgress.objects.filter(
        enrollment=e
    ).delete(),
    "a lesson opened": lambda e: lesson_open(
        enrollment=e, lesson=e.course.lessons.order_by("order").last()
    ),
    "an attempt": lambda e: _attempt(e),
    # (A case attempt: tests/cases/test_kept_course_home.py.)
    "an attempt (bulk update)": lambda e: Attempt.objects.filter(
        pk=_attempt(e).pk
    ).update(score=90),
    "a cool-down lifted": lambda e: CooldownClearance.objects.create(
        attempt=_attempt(e),
        cleared_by=UserFactory(is_staff=True),
        cleared_at=timezone.now(),
    ),
    "a certificate": lambda e: CertificateFactory(enrollment=e, user=e.user),
    "a certificate (bulk update)": lambda e: Certificate.objects.filter(
        pk=CertificateFactory(enrollment=e, user=e.user).pk
    ).update(
        status=Certificate.Status.REVOKED,
        revoked_at=timezone.now(),
        revoke_reason="Issued in error",
    ),
    "an outside card": lambda e: ExternalCertificateFactory(user=e.user),
    "an outside card (bulk update)": lambda e: ExternalCertificate.objects.filter(
        pk=ExternalCertificateFactory(user=e.user).pk
    ).update(status=ExternalCertificate.Status.APPROVED, reviewed_at=timezone.now()),
    "a holder name request": lambda e: HolderNameRequest.objects.create(enrollment=e),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_to_a_learners_records_moves_their_version_only(learning, write):
    other = EnrollmentFactory(user=UserFactory(), course=learning.course)
    before, others_before = version(learning.user), version(other.user)
    write(learning)
    assert version(learning.user) > before
    assert version(other.user) == others_before


def test_saving_an_answer_does_not_move_the_version(learning):
    attempt = _attempt(learning)
    item = AttemptQuestion.objects.create(
        attempt=attempt,
        question=QuestionFactory(exam=attempt.exam),
        position=1,
        choices=[],
        text_html="<p>Q</p>",
    )
    before = version(learning.user)
    AttemptQuestion.objects.filter(pk=item.pk).update(
        selected_key="abc", answered_at=timezone.now()
    )
    assert version(learning.user) == before


# --- The pages ------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_a_kept_page_is_served_with_the_requests_own_form_token(
    learning, django_assert_num_queries
):
    client = signed_in(learning.user)
    home = reverse("courses:home", args=[learning.course.slug])
    first = client.get(home).content.decode()
    with django_assert_num_queries(1):  # the user, with the state version
        again = client.get(home).content.decode()
    assert again.count("csrfmiddlewaretoken") == first.count("csrfmiddlewaretoken")
    assert "csrf-stand-in" not in again
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', again)
    assert tokens, "the course home holds a form"
    # The token works: the log-out form posts with it.
    response = client.post(
        reverse("account_logout"), {"csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302


def test_a_learner_is_never_served_another_learners_page(learning):
    # Two learners of the same course, at the same URL: one lesson done, and none.
    other = EnrollmentFactory(user=UserFactory(), course=learning.course).user
    home = reverse("courses:home", args=[learning.course.slug])
    for _ in range(2):
        for user, progress in ((learning.user, "1 of 2"), (other, "0 of 2")):
            page = signed_in(user).get(home).content.decode()
            assert f"{progress} lessons" in page


def test_a_write_made_outside_the_services_shows_on_the_next_visit(learning):
    client = signed_in(learning.user)
    home = reverse("courses:home", args=[learning.course.slug])
    assert "1 of 2 lessons" in client.get(home).content.decode()
    client.get(home)  # kept
    LessonProgress.objects.filter(enrollment=learning).delete()  # a data fix
    assert "0 of 2 lessons" in client.get(home).content.decode()


def test_a_content_edit_shows_on_the_next_visit(learning):
    client = signed_in(learning.user)
    home = reverse("courses:home", args=[learning.course.slug])
    client.get(home)
    lesson = learning.course.lessons.order_by("order").last()
    lesson.title = "Two-rescuer CPR, revised"
    lesson.save()  # as the admin saves it
    assert "Two-rescuer CPR, revised" in client.get(home).content.decode()


def test_a_kept_page_is_redrawn_when_the_sites_day_ends(learning, user):
    """A certificate expiring today is shown "Valid through" until the site's
    midnight, and "Expired" from then, even on a page kept a minute before."""
    zone = timezone.get_default_timezone()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        today = site_today()
        midnight = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
        CertificateFactory(
            user=user,
            course=learning.course,
            issued_on=today - timedelta(days=730),
            expires_on=today,
        )
        client = signed_in(user)
        dashboard = reverse("courses:dashboard")
        clock.move_to(midnight - timedelta(minutes=1))
        assert "Valid through" in client.get(dashboard).content.decode()
        assert "Valid through" in client.get(dashboard).content.decode()
        clock.move_to(midnight + timedelta(seconds=1))
        page = client.get(dashboard).content.decode()
    assert "Expired" in page


def test_no_page_is_kept_longer_than_max_age(learning, django_assert_num_queries):
    client = signed_in(learning.user)
    home = reverse("courses:home", args=[learning.course.slug])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.get(home)
        clock.shift(MAX_AGE - timedelta(seconds=1))
        with django_assert_num_queries(1):
            client.get(home)
        clock.shift(timedelta(seconds=2))
        with CaptureQueriesContext(connection) as drawn:
            client.get(home)
    # Drawn again: the refresh, the enrollment with its state (and the session,
    # whose cached copy lives as long).
    assert len(drawn) > 1


def test_a_process_keeps_at_most_max_bytes_of_pages(bls, monkeypatch):
    from accounts import learner_pages

    learners = [
        EnrollmentFactory(user=UserFactory(), course=bls).user for _ in range(3)
    ]
    home = reverse("courses:home", args=[bls.slug])
    size = len(signed_in(learners[0]).get(home).content)
    learner_pages.forget()
    # Room for two pages: the third drawn drops the least recently served.
    monkeypatch.setattr(learner_pages, "MAX_BYTES", 2 * size + size // 2)
    clients = [signed_in(user) for user in learners]
    for client in clients:
        client.get(home)
    assert len(learner_pages._pages) == 2
    assert learner_pages._bytes <= learner_pages.MAX_BYTES


def test_a_staff_members_pages_are_drawn_each_time(staff_client, staff):
    """Staff see drafts by their second factor, which moves no learner's version:
    losing it shows on the next request."""
    from allauth.mfa.models import Authenticator

    draft = CourseFactory(slug="draft", is_published=False)
    module = ModuleFactory(course=draft, slug="m")
    lesson = LessonFactory(module=module, slug="l")
    assert staff_client.get(lesson.get_absolute_url()).status_code == 200
    Authenticator.objects.filter(user=staff).delete()
    assert staff_client.get(lesson.get_absolute_url()).status_code == 404


def test_what_the_session_holds_shows_on_the_next_visit(learning):
    """The header's organization links are kept in the session (organizations.menu),
    not in the learner's records: the session is part of what a page is kept by."""
    client = signed_in(learning.user)
    dashboard = reverse("courses:dashboard")
    assert "Mercy General" not in client.get(dashboard).content.decode()
    session = client.session
    session["organizations_administered"] = [["mercy", "Mercy General", "admin"]]
    session.save()
    assert "Mercy General" in client.get(dashboard).content.decode()


def test_a_query_string_is_not_kept(learning, django_assert_num_queries):
    client = signed_in(learning.user)
    home = reverse("courses:home", args=[learning.course.slug])
    client.get(f"{home}?x=1")
    with django_assert_num_queries(3):  # drawn again: the user, refresh, state
        client.get(f"{home}?x=1")


def test_migrated_back_before_the_versions_table_no_write_fails(learning):
    """`migrate accounts 0006` drops the versions' table; post_migrate then removes
    every trigger that would write to it (the drop is rolled back with the test)."""
    table = connection.ops.quote_name(LearnerVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    learner_triggers_install()  # what post_migrate runs then
    Enrollment.objects.filter(pk=learning.pk).update(
        lesson_views_current_from=timezone.now()
    )
    LessonProgress.objects.filter(enrollment=learning).delete()


def test_the_triggers_removed_leave_writes_unwatched_and_come_back(learning):
    learner_triggers_remove()
    before = version(learning.user)
    LessonProgress.objects.filter(enrollment=learning).delete()
    assert version(learning.user) == before
    learner_triggers_install()
    _attempt(learning)
    assert version(learning.user) > before
