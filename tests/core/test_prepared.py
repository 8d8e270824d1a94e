"""Querysets compiled once per process (core.prepared): each call answers what the
same queryset compiled as usual answers, with the call's values; a query whose SQL
could not be bound safely is refused before it runs (issue 19)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.models import User
from certificates.models import Certificate
from core.prepared import PreparedQueryError, prepared
from courses.models import Enrollment
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrollmentFactory,
    LessonProgressFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@prepared(email=str)
def user_by_email(email):
    return User.objects.filter(email=email)


@prepared(user_id=int, on=datetime.date)
def certificates_current(user_id, on):
    return (
        Certificate.objects.filter(user_id=user_id, expires_on__gte=on)
        .order_by("expires_on")
        .values_list("code", "expires_on")
    )


@prepared(user_id=int, since=datetime.datetime)
def enrollments_since(user_id, since):
    return (
        Enrollment.objects.filter(user_id=user_id, enrolled_at__gte=since)
        .annotate(lessons_done=Count("progress"))
        .order_by("pk")
    )


def test_each_call_answers_with_its_own_values():
    ana, ben = (
        UserFactory(email="ana@example.org"),
        UserFactory(email="ben@example.org"),
    )
    assert user_by_email(email="ana@example.org") == [ana]
    assert user_by_email(email="ben@example.org") == [ben]  # not the first compiled
    assert user_by_email(email="nobody@example.org") == []


def test_rows_equal_the_queryset_compiled_as_usual():
    user = UserFactory()
    course = CourseFactory()
    today = timezone.localdate()
    for days in (-30, 10, 400):  # one expired, two current
        CertificateFactory(
            enrollment__user=user,
            enrollment__course=course,
            issued_on=today + datetime.timedelta(days=days - 730),
            expires_on=today + datetime.timedelta(days=days),
        )
    CertificateFactory(course=course)  # someone else's
    rows = certificates_current(user_id=user.pk, on=today)
    assert len(rows) == 2
    assert rows == list(certificates_current.queryset(user_id=user.pk, on=today))
    assert all(isinstance(expires_on, datetime.date) for _, expires_on in rows)


def test_model_rows_carry_their_annotations_like_the_orm():
    user = UserFactory()
    old = EnrollmentFactory(user=user)
    Enrollment.objects.filter(pk=old.pk).update(
        enrolled_at=timezone.now() - datetime.timedelta(days=90)
    )
    new = EnrollmentFactory(user=user)
    LessonProgressFactory(enrollment=new)
    since = timezone.now() - datetime.timedelta(days=30)
    with CaptureQueriesContext(connection) as queries:
        rows = enrollments_since(user_id=user.pk, since=since)
    assert len(queries) == 1
    assert rows == [new]
    assert rows[0].lessons_done == 1
    expected = enrollments_since.queryset(user_id=user.pk, since=since)
    assert [(e.pk, e.status, e.enrolled_at, e.lessons_done) for e in rows] == [
        (e.pk, e.status, e.enrolled_at, e.lessons_done) for e in expected
    ]
    earlier = enrollments_since(
        user_id=user.pk, since=since - datetime.timedelta(days=365)
    )
    assert [e.pk for e in earlier] == [old.pk, new.pk]


NAIVE = datetime.datetime(2026, 11, 30)  # noqa: DTZ001 (what the test refuses)


def test_a_value_of_the_wrong_type_is_refused_before_anything_runs():
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(TypeError):
            certificates_current(user_id=None, on=timezone.localdate())
        with pytest.raises(TypeError):
            certificates_current(user_id=True, on=timezone.localdate())
        with pytest.raises(TypeError):  # a date-time is not a date
            certificates_current(user_id=1, on=timezone.now())
        with pytest.raises(TypeError):
            certificates_current(user_id=1)
        with pytest.raises(TypeError):  # a naive date-time, with USE_TZ
            enrollments_since(user_id=1, since=NAIVE)
    assert queries.captured_queries == []


def test_an_integer_no_column_can_hold_matches_nothing_as_in_the_orm():
    UserFactory()
    huge = 2**63
    assert user_by_id(pk=huge) == list(User.objects.filter(pk=huge)) == []
    assert user_by_id(pk=-huge - 1) == []


@prepared(pk=int)
def user_by_id(pk):
    return User.objects.filter(pk=pk)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        # The ORM wraps the value: `%value%` is none of the values given.
        (
            lambda user_id: User.objects.filter(email__contains=str(user_id)),
            "none of the values given",
        ),
        # Arithmetic on the value.
        (lambda user_id: User.objects.filter(pk=user_id + 1), "none of the values"),
        # The value written into the SQL itself (LIMIT is a literal).
        (lambda user_id: User.objects.all()[:user_id], "the SQL depends"),
        # The clock read while building: frozen at the first build.
        (
            lambda user_id: User.objects.filter(
                pk=user_id, date_joined__lte=timezone.now()
            ),
            "none of the values",
        ),
        # The value ignored.
        (lambda user_id: User.objects.filter(is_active=True), "ignores"),
        # Nothing to run: the ORM compiles it to no query.
        (
            lambda user_id: User.objects.filter(pk=user_id, email__in=[]),
            "matches nothing",
        ),
    ],
    ids=["transformed", "arithmetic", "in-sql", "clock", "ignored", "empty"],
)
def test_a_query_whose_values_cannot_be_placed_safely_is_refused(build, reason):
    query = prepared(user_id=int)(build)
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(PreparedQueryError, match=reason):
            query(user_id=1)
    assert queries.captured_queries == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it():
    @prepared(user_id=int)
    def locked(user_id):
        return User.objects.select_for_update().filter(pk=user_id)

    user = UserFactory()
    with transaction.atomic():
        assert locked(user_id=user.pk) == [user]
    with pytest.raises(TransactionManagementError):
        locked(user_id=user.pk)


def test_a_setting_change_drops_what_was_compiled():
    minimum = {"value": 0}

    @prepared(user_id=int)
    def reads_a_setting(user_id):
        return User.objects.filter(
            Q(pk=user_id) & Q(pk__gte=F("pk") + minimum["value"])
        )

    user = UserFactory()
    assert reads_a_setting(user_id=user.pk) == [user]
    minimum["value"] = 1  # stands for a setting the build reads
    with override_settings(SITE_NAME="Changed"):
        assert reads_a_setting(user_id=user.pk) == []
