"""Fixtures for Open Badges credential tests: issued certificates, downloads, and a
verifier that reads only what Lifeline publishes (tests/credentials/verifier.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from tests import factories
from tests.credentials.verifier import Verifier


@pytest.fixture(scope="session")
def second_key_file(tmp_path_factory) -> Path:
    """Another signing key, to rotate to."""
    from certificates.signing import generate_private_key_pem

    path = tmp_path_factory.mktemp("keys") / "rotated-key.pem"
    path.write_bytes(generate_private_key_pem(2048))
    return path


def issue(course, **user_fields):
    """A certificate issued through the service for a new learner's completion."""
    from certificates.services.issuing import certificate_issue

    user = factories.UserFactory(**user_fields)
    enrollment = factories.EnrollmentFactory(
        user=user,
        course=course,
        status=Enrollment.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    return certificate_issue(enrollment=enrollment)


@pytest.fixture
def issued(bls, mailoutbox):
    bls.guidelines = "2025 AHA Guidelines for CPR and ECC"
    bls.save()
    certificate = issue(bls, email="ana.silva@example.org", legal_name="Ana Silva")
    mailoutbox.clear()
    return certificate


def download(certificate, client: Client | None = None) -> str:
    """The holder downloads the certificate's credential (a fresh session)."""
    client = client or Client()
    client.force_login(certificate.user)
    response = client.get(reverse("certificates:credential", args=[certificate.code]))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def fetch(url: str) -> tuple[str, bytes]:
    """GET an absolute URL of the site, anonymously, as a verifier would."""
    assert url.startswith(settings.SITE_URL + "/"), url
    response = Client().get(url.removeprefix(settings.SITE_URL))
    assert response.status_code == 200, (url, response.status_code)
    return response["Content-Type"], response.content


@pytest.fixture
def verifier(db) -> Verifier:
    return Verifier(
        issuer_id=settings.SITE_URL + reverse("certificates:issuer_profile"),
        jwks_url=settings.SITE_URL + reverse("certificates:public_keys"),
        fetch=fetch,
    )
