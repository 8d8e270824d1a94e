"""The dashboard (courses in progress with their next step, certificates with their
actions and renewal windows, a recommended next course) and review mode (a course
completed stays readable without a new enrollment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment, LessonView
from courses.selectors import dashboard_for
from courses.services import EnrollmentRefused, enrollment_create
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrollmentFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(db):
    return UserFactory(legal_name="Maria Alvarez", profession="nurse")


@pytest.fixture
def catalog(bls, acls):
    """CPR (for teachers), BLS then ACLS (for nurses); ACLS requires BLS."""
    cpr = CourseFactory(slug="cpr-aed", title="CPR and AED", order=1)
    cpr.recommended_for = ["educator"]
    cpr.save()
    for order, course in enumerate((bls, acls), start=2):
        course.recommended_for = ["nurse", "physician"]
        course.order = order
        course.save()
    return {"cpr": cpr, "bls": bls, "acls": acls}


def hold(user, course, *, expires_in_days=600):
    today = timezone.localdate()
    return CertificateFactory(
        enrollment__user=user,
        enrollment__course=course,
        issued_on=today - timedelta(days=100),
        expires_on=today + timedelta(days=expires_in_days),
    )


def dashboard_text(client) -> str:
    return client.get(reverse("courses:dashboard")).content.decode()


# --- The dashboard -----------------------------------------------------------------


def test_a_learner_who_completed_a_course_is_never_told_they_have_none(
    client, nurse, catalog
):
    hold(nurse, catalog["bls"])
    client.force_login(nurse)
    page = dashboard_text(client)
    assert "You are not enrolled in any course yet" not in page
    assert 'data-certificate="' in page
    assert 'href="/learn/bls/">Reread the lessons' in page
    # Its certificate is in hand, not on its way.
    assert "certificate on its way" not in page and "Being issued" not in page


def test_a_completed_course_whose_certificate_is_coming_says_so(client, nurse, bls):
    Enrollment.objects.create(
        user=nurse,
        course=bls,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    client.force_login(nurse)
    page = dashboard_text(client)
    assert 'data-completed="bls"' in page
    assert "Being issued" in page and 'data-refresh-seconds="4"' in page
    assert "You are not enrolled in any course yet" not in page


def test_a_nurse_holding_bls_is_offered_acls(client, nurse, catalog):
    hold(nurse, catalog["bls"])
    client.force_login(nurse)
    page = dashboard_text(client)
    assert 'data-recommended="acls"' in page
    assert "See Advanced Cardiovascular Life Support" in page


def test_a_nurse_holding_nothing_is_offered_bls_first(nurse, catalog):
    assert dashboard_for(user=nurse)["recommended"] == catalog["bls"]


def test_nothing_is_recommended_that_is_held_or_under_way(nurse, catalog):
    hold(nurse, catalog["bls"])
    enrollment_create(user=nurse, course=catalog["acls"])
    assert dashboard_for(user=nurse)["recommended"] is None


def test_no_profession_no_recommendation(catalog):
    assert dashboard_for(user=UserFactory(profession=""))["recommended"] is None


def test_an_open_course_shows_its_next_step_and_progress_over_exams(client, nurse, bls):
    enrollment_create(user=nurse, course=bls)
    client.force_login(nurse)
    page = dashboard_text(client)
    first = bls.lessons.order_by("order").first()
    assert f'data-up-next="lesson-{first.pk}"' in page
    assert f"Start lesson: {first.title}" in page
    assert "0 of 2 steps done (0 of 2 lessons)" in page


def test_certificates_show_their_renewal_window(client, nurse, catalog):
    far = hold(nurse, catalog["bls"], expires_in_days=400)
    client.force_login(nurse)
    page = dashboard_text(client)
    opens = far.expires_on - timedelta(days=90)
    assert f"Renewal opens on {opens:%B %-d, %Y}." in page
    far.expires_on = timezone.localdate() + timedelta(days=60)
    far.save()
    page = dashboard_text(client)
    assert "Renewal is open" in page
    assert 'action="/courses/bls/enroll/"' in page
    assert f'href="/certificates/{far.code}/pdf/"' in page


def test_a_renewal_under_way_is_not_offered_again(client, nurse, catalog):
    certificate = hold(nurse, catalog["bls"], expires_in_days=60)
    enrollment_create(user=nurse, course=catalog["bls"])
    client.force_login(nurse)
    page = dashboard_text(client)
    assert "Renewal in progress" in page
    assert f"{certificate.code}" in page


def test_the_dashboard_reads_a_fixed_number_of_queries(
    client, nurse, catalog, django_assert_max_num_queries
):
    for i in range(4):
        course = CourseFactory(slug=f"extra-{i}")
        module = ModuleFactory(course=course)
        LessonFactory(module=module, slug=f"extra-{i}-a")
        EnrollmentFactory(user=nurse, course=course)
        hold(nurse, CourseFactory(slug=f"held-{i}"))
    client.force_login(nurse)
    # 16: the up-next rule reads the required case simulations too (issue 16).
    with django_assert_max_num_queries(16):
        assert client.get(reverse("courses:dashboard")).status_code == 200


# --- Review mode -------------------------------------------------------------------


@pytest.fixture
def certified(nurse, bls):
    """A nurse who completed BLS and holds its certificate (renewal not open)."""
    return hold(nurse, bls, expires_in_days=600)


def test_a_certified_learner_rereads_every_lesson_read_only(client, nurse, certified):
    client.force_login(nurse)
    for lesson in certified.course.lessons.all():
        response = client.get(lesson.get_absolute_url())
        page = response.content.decode()
        assert response.status_code == 200
        assert "Review mode: you completed Basic Life Support" in page
        assert "Mark complete" not in page
    # Reading records nothing and enrolls in nothing.
    assert not LessonView.objects.exists()
    assert Enrollment.objects.filter(user=nurse).count() == 1


def test_the_course_home_of_a_completed_course_is_its_review(client, nurse, certified):
    client.force_login(nurse)
    page = client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert "data-review-mode" in page
    assert "Renewal opens on" in page
    for lesson in certified.course.lessons.all():
        assert f'href="{lesson.get_absolute_url()}"' in page
    assert f"Certificate {certified.code}" in page


def test_the_course_page_offers_the_review(client, nurse, certified):
    client.force_login(nurse)
    page = client.get(reverse("courses:detail", args=["bls"])).content.decode()
    assert "Reread the lessons" in page


def test_review_mode_does_not_open_renewal_early(nurse, certified):
    with pytest.raises(EnrollmentRefused) as refused:
        enrollment_create(user=nurse, course=certified.course)
    assert refused.value.code == "enrollment.renewal_not_open"


def test_someone_who_never_completed_it_still_has_to_enroll(client, nurse, bls):
    client.force_login(nurse)
    lesson = bls.lessons.first()
    response = client.get(lesson.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == bls.get_absolute_url()
