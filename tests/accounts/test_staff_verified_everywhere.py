"""One staff rule everywhere (accounts.selectors.staff_verified): a staff member whose
session did not pass two-factor authentication is a learner on every staff-only
surface outside the admin too; the same person with a verified session gets it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def _pdf(db):
    certificate = factories.CertificateFactory()
    return reverse("certificates:pdf", args=[certificate.code]), b"%PDF-"


def _outside_card(db):
    card = factories.ExternalCertificateFactory()
    return reverse("certificates:external_file", args=[card.pk]), b"%PDF-1.4"


def _exam_statistics(db):
    exam = factories.ExamFactory(title="BLS final")
    return reverse("exams:statistics", args=[exam.pk]), b"BLS final"


def _draft_exam(db):
    exam = factories.ExamFactory(
        title="Draft final", course__is_published=False, course__slug="draft-exam"
    )
    return reverse("exams:history", args=[exam.pk]), b"Draft final"


def _draft_course(db):
    factories.CourseFactory(
        slug="draft", title="Draft pediatric course", is_published=False
    )
    return reverse("courses:detail", args=["draft"]), b"Draft pediatric course"


def _draft_lesson(db):
    lesson = factories.LessonFactory(
        is_published=False, title="Unreviewed lesson", module__slug="m"
    )
    url = reverse("courses:lesson", args=[lesson.course.slug, "m", lesson.slug])
    return url, b"Unreviewed lesson"


def _draft_image(db):
    from courses.models import CourseImage

    draft = factories.CourseFactory(slug="draft-img", is_published=False)
    CourseImage.objects.create(
        course=draft,
        path="images/strip.svg",
        content_type="image/svg+xml",
        data=b"<svg>draft strip</svg>",
        sha256="abc",
    )
    return "/courses/draft-img/images/strip.svg", b"draft strip"


def _readyz_workers(db):
    return "/readyz?workers=1", b'"workers": "ok"'


SURFACES = {
    "certificate-pdf": _pdf,
    "outside-card-file": _outside_card,
    "exam-statistics": _exam_statistics,
    "draft-exam": _draft_exam,
    "draft-course": _draft_course,
    "draft-lesson": _draft_lesson,
    "draft-course-image": _draft_image,
    "readyz-workers": _readyz_workers,
}


def _seen(response) -> tuple[int, str | None]:
    return response.status_code, response.get("Location")


@pytest.fixture(autouse=True)
def _eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # readyz: no broker, the ping is skipped


@pytest.mark.parametrize("surface", SURFACES)
def test_staff_whose_session_skipped_the_code_are_treated_as_learners(
    client, db, surface
):
    url, _ = SURFACES[surface](db)
    client.force_login(factories.UserFactory())
    as_learner = _seen(client.get(url))
    assert as_learner[0] in (302, 403, 404)
    staff = factories.StaffFactory()  # has an authenticator app, did not use it
    client.force_login(staff)  # signed in with the password only
    assert _seen(client.get(url)) == as_learner


@pytest.mark.parametrize("surface", SURFACES)
def test_staff_whose_session_passed_the_code_get_the_staff_surface(client, db, surface):
    url, shown = SURFACES[surface](db)
    factories.login_with_mfa(client, factories.StaffFactory())
    response = client.get(url)
    assert response.status_code == 200
    body = (
        b"".join(response.streaming_content)
        if response.streaming
        else (response.content)
    )
    assert shown in body


def test_a_learners_pdf_link_is_not_offered_to_a_password_only_staff_session(
    client,
):
    from certificates.services.revocation import certificate_revoke

    staff = factories.StaffFactory()
    own = factories.CertificateFactory(user=staff, enrollment__user=staff)
    certificate_revoke(certificate=own, by=staff, reason="Issued in error")
    pdf = reverse("certificates:pdf", args=[own.code])
    client.force_login(staff)
    assert pdf not in client.get(reverse("courses:dashboard")).content.decode()
    factories.login_with_mfa(client, staff)
    assert pdf in client.get(reverse("courses:dashboard")).content.decode()


def test_staff_who_removed_their_authenticator_lose_staff_surfaces(client):
    staff = factories.StaffFactory()
    factories.login_with_mfa(client, staff)
    url, _ = _pdf(None)
    assert client.get(url).status_code == 200
    staff.authenticator_set.all().delete()
    assert client.get(url).status_code == 404
