"""Courses' services refuse with the common error model (core.errors): a stable dotted
code, the status an API would answer with, and the sentence the pages show unchanged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.errors import Conflict, InvalidInput, LifelineError, NotAllowed
from courses.services import bundle_enroll, enrollment_create, lesson_complete
from tests.factories import (
    BundleFactory,
    CertificateFactory,
    CourseFactory,
    EnrollmentFactory,
)

pytestmark = pytest.mark.django_db


def refusal(call) -> LifelineError:
    with pytest.raises(LifelineError) as raised:
        call()
    return raised.value


def test_enrolment_refusals_carry_their_codes(user, bls, acls):
    missing = refusal(lambda: enrollment_create(user=user, course=acls))
    assert isinstance(missing, NotAllowed)
    assert missing.code == "enrollment.prerequisite_missing"
    assert [c.slug for c in missing.missing] == ["bls"]
    assert missing.as_problem()["status"] == 403

    draft = CourseFactory(slug="draft", is_published=False)
    assert (
        refusal(lambda: enrollment_create(user=user, course=draft)).code
        == "enrollment.course_unpublished"
    )
    bundle = BundleFactory(courses=[draft])
    assert (
        refusal(lambda: bundle_enroll(user=user, bundle=bundle)).code
        == "enrollment.bundle_unpublished"
    )

    CertificateFactory(enrollment__user=user, enrollment__course=bls)
    renewal = refusal(lambda: enrollment_create(user=user, course=bls))
    assert renewal.code == "enrollment.renewal_not_open"
    assert "90 days before it expires" in renewal.message


def test_lesson_refusals_carry_their_codes(user, bls, acls):
    waiting = EnrollmentFactory(
        user=user, course=acls, status="waiting", activated_at=None
    )
    closed = refusal(
        lambda: lesson_complete(enrollment=waiting, lesson=acls.lessons.get())
    )
    assert isinstance(closed, Conflict)
    assert closed.code == "lesson.enrollment_not_active"
    active = EnrollmentFactory(user=user, course=bls)
    foreign = refusal(
        lambda: lesson_complete(enrollment=active, lesson=acls.lessons.get())
    )
    assert isinstance(foreign, InvalidInput)
    assert foreign.code == "lesson.not_in_course"


def test_pages_show_the_refusals_sentence_unchanged(learner_client, acls):
    response = learner_client.post(
        reverse("courses:enroll", args=["acls"]), follow=True
    )
    assert (
        "Advanced Cardiovascular Life Support requires a current certificate in Basic "
        "Life Support." in response.content.decode()
    )
