"""The holder shares their certificate from its verify page: LinkedIn's "Add to
profile" form filled in, the signed credential, the PDF. Nobody else sees them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from certificates.services.revocation import certificate_revoke
from tests import factories


def _page(certificate, user=None) -> tuple[str, int]:
    client = Client()
    if user is not None:
        client.force_login(user)
    url = reverse("certificates:verify_code", args=[certificate.code])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def _linkedin(page: str) -> dict[str, str]:
    start = page.index('href="https://www.linkedin.com/profile/add?')
    href = page[start + 6 : page.index('"', start + 6)].replace("&amp;", "&")
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "www.linkedin.com",
        "/profile/add",
    )
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_holder_gets_a_filled_in_linkedin_link_the_credential_and_the_pdf(issued):
    page, _ = _page(issued, issued.user)

    assert "Share your certificate" in page
    assert _linkedin(page) == {
        "startTask": "CERTIFICATION_NAME",
        "name": "Basic Life Support",
        "organizationName": "Lifeline",
        "issueYear": str(issued.issued_on.year),
        "issueMonth": str(issued.issued_on.month),
        "expirationYear": str(issued.expires_on.year),
        "expirationMonth": str(issued.expires_on.month),
        "certUrl": issued.verify_url,
        "certId": issued.code,
    }
    assert escape(reverse("certificates:credential", args=[issued.code])) in page
    assert "Download credential (Open Badges 3.0)" in page
    assert reverse("certificates:pdf", args=[issued.code]) in page


def test_linkedin_link_names_the_issuer_page_when_its_id_is_configured(
    issued, settings
):
    settings.LINKEDIN_ORGANIZATION_ID = "12345678"
    page, _ = _page(issued, issued.user)
    assert _linkedin(page)["organizationId"] == "12345678"


def test_visitors_and_other_learners_see_no_share_actions_at_no_extra_query(issued):
    other = factories.UserFactory()
    for viewer in (None, other):
        page, _ = _page(issued, viewer)
        assert "Share your certificate" not in page
        assert "linkedin" not in page
        assert reverse("certificates:credential", args=[issued.code]) not in page
    # The holder's actions are decided from the row the page reads anyway.
    assert _page(issued, issued.user)[1] == _page(issued, other)[1]


def test_a_revoked_certificate_offers_nothing_to_share(issued, staff):
    certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    page, _ = _page(issued, issued.user)
    assert "Revoked." in page
    assert "Share your certificate" not in page


def test_an_expired_certificate_is_not_offered_to_linkedin(issued):
    with time_machine.travel(issued.expires_on + timedelta(days=2)):
        page, _ = _page(issued, issued.user)
    assert "Expired." in page
    assert "linkedin" not in page
    assert "Download credential (Open Badges 3.0)" in page
