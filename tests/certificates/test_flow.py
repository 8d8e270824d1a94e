"""Whole journeys: a learner is certified and an employer verifies; a learner with an
outside BLS card gets into ACLS."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from certificates.models import Certificate, ExternalCertificate
from courses.models import Enrollment
from exams.models import Attempt, Exam
from tests import factories
from tests.certificates.uploads import PDF

pytestmark = pytest.mark.django_db


def _pass_exam(client, exam: Exam) -> str:
    """Starts the exam and answers every question right, as the page offers them
    (the right key read from the attempt's record). Returns the result page."""
    started = client.post(reverse("exams:start", args=[exam.pk]), follow=True)
    attempt_url = started.redirect_chain[-1][0]
    attempt = Attempt.objects.get(pk=int(attempt_url.rstrip("/").rsplit("/", 1)[1]))
    page = client.get(attempt_url).content.decode()
    answers = {}
    for item in attempt.items.all():
        offered = re.findall(rf'name="{item.field_name}" value="([^"]+)"', page)
        assert item.correct_key in offered
        answers[item.field_name] = item.correct_key
    return client.post(attempt_url, answers, follow=True).content.decode()


def test_learner_completes_bls_downloads_certificate_and_employer_verifies_it(
    client, bls, mailoutbox, django_capture_on_commit_callbacks
):
    module = bls.modules.get()
    module_exam = factories.ExamFactory(
        course=bls, module=module, kind=Exam.Kind.MODULE, pass_mark=80, draw_size=3
    )
    final = factories.ExamFactory(course=bls, pass_mark=75, draw_size=3)
    for exam in (module_exam, final):
        for n in range(4):
            factories.QuestionFactory(exam=exam, key=f"{exam.pk}-q{n}")

    learner = factories.UserFactory(legal_name="")
    client.force_login(learner)
    client.post(
        reverse("accounts:profile"),
        {
            "legal_name": "Jane  Q. Nurse",
            "profession": "nurse",
            "renewal_reminders": "on",
        },
    )
    client.post(reverse("courses:enroll", args=["bls"]))
    enrollment = Enrollment.objects.get(user=learner, course=bls)

    # Every lesson, then the module exam, then the final: the last one completes the
    # enrollment, and the certificate task runs after commit (eagerly here, on a
    # worker in production).
    for lesson in bls.lessons.published().select_related("module"):
        # Read, then mark complete: an unopened lesson cannot be completed.
        assert client.get(lesson.get_absolute_url()).status_code == 200
        client.post(
            reverse(
                "courses:lesson_complete",
                args=["bls", lesson.module.slug, lesson.slug],
            ),
            {"next": "stay"},
        )
    assert "Passed" in _pass_exam(client, module_exam)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert not Certificate.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        result = _pass_exam(client, final)
    assert "You have completed Basic Life Support" in result
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED

    certificate = Certificate.objects.get(user=learner)
    dashboard = client.get(reverse("courses:dashboard")).content.decode()
    download_url = reverse("certificates:pdf", args=[certificate.code])
    assert download_url in dashboard

    [message] = mailoutbox
    assert download_url in message.body
    response = client.get(download_url)
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Jane Q. Nurse" in text
    assert certificate.code in text

    # The employer types the printed address, without an account.
    printed_url = re.search(r"https?://\S+/verify/\S+/", text).group(0)
    client.logout()
    page = client.get(urlsplit(printed_url).path).content.decode()
    assert "Valid." in page
    assert "Jane Q. Nurse" in page
    assert "Basic Life Support" in page


def test_learner_with_outside_bls_card_gets_into_acls_after_approval(
    client, bls, acls, mailoutbox, django_capture_on_commit_callbacks
):
    learner = factories.UserFactory()
    client.force_login(learner)
    refused = client.post(reverse("courses:enroll", args=["acls"]), follow=True)
    assert reverse("certificates:external_upload") in refused.content.decode()

    today = timezone.localdate()
    client.post(
        reverse("certificates:external_upload"),
        {
            "course": bls.pk,
            "issuer": "American Red Cross",
            "card_number": "RC-778899",
            "issued_on": (today - timedelta(days=30)).isoformat(),
            "expires_on": (today + timedelta(days=700)).isoformat(),
            "file": SimpleUploadedFile("card.pdf", PDF),
        },
    )
    card = ExternalCertificate.objects.get(user=learner)

    reviewer = factories.StaffFactory()
    factories.login_with_mfa(client, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "admin:certificates_externalcertificate_decide",
                args=[card.pk, "approve"],
            ),
            {"apply": "1", "note": "Checked with the Red Cross."},
        )
    [message] = mailoutbox
    assert message.to == [learner.email]
    assert "approved" in message.subject

    client.force_login(learner)
    client.post(reverse("courses:enroll", args=["acls"]))
    enrollment = Enrollment.objects.get(user=learner, course=acls)
    assert enrollment.status == Enrollment.Status.ACTIVE
