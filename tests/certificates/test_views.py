"""Download (holder and staff only) and public verification (rate-limited)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache.backends.locmem import LocMemCache
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from certificates.services.revocation import certificate_revoke
from core import ratelimit
from tests import factories
from tests.outages import HungServer, call_within, closed_port_url

pytestmark = pytest.mark.django_db


def _pdf_url(certificate) -> str:
    return reverse("certificates:pdf", args=[certificate.code])


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- Download ------------------------------------------------------------------------


def test_holder_downloads_the_pdf_as_a_named_attachment(client, issued):
    client.force_login(issued.user)
    response = client.get(_pdf_url(issued))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="Lifeline-{issued.code}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert _body(response).startswith(b"%PDF-")


def test_another_learner_gets_404_for_someone_elses_pdf(client, issued):
    client.force_login(factories.UserFactory())
    assert client.get(_pdf_url(issued)).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, issued):
    response = client.get(_pdf_url(issued))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_download_any_certificate(staff_client, issued):
    response = staff_client.get(_pdf_url(issued))
    assert response.status_code == 200
    assert _body(response).startswith(b"%PDF-")


def test_staff_without_certificate_permission_gets_404(client, issued):
    # Staff whose session passed two-factor, without the view permission.
    factories.login_with_mfa(client, factories.StaffFactory(is_superuser=False))
    assert client.get(_pdf_url(issued)).status_code == 404


def test_unknown_code_is_404(learner_client):
    url = reverse("certificates:pdf", args=["BLS-2222-3333-4444"])
    assert learner_client.get(url).status_code == 404


def test_holder_cannot_download_a_revoked_certificate(client, issued, staff):
    certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    client.force_login(issued.user)
    assert client.get(_pdf_url(issued)).status_code == 404


def test_pdf_missing_from_storage_is_rendered_again(client, issued):
    default_storage.delete(issued.pdf.name)
    client.force_login(issued.user)
    response = client.get(_pdf_url(issued))
    assert response.status_code == 200
    assert _body(response).startswith(b"%PDF-")
    assert default_storage.exists(issued.pdf.name)


def test_certificate_never_rendered_is_rendered_on_download(client):
    certificate = factories.CertificateFactory()  # a row with no PDF yet
    client.force_login(certificate.user)
    response = client.get(_pdf_url(certificate))
    assert _body(response).startswith(b"%PDF-")
    certificate.refresh_from_db()
    assert certificate.pdf.name == f"certificates/{certificate.code}.pdf"


def test_dashboard_links_to_download_and_verify(client, issued):
    client.force_login(issued.user)
    page = client.get(reverse("courses:dashboard")).content.decode()
    assert _pdf_url(issued) in page
    assert issued.get_absolute_url() in page


# --- Verification ----------------------------------------------------------------------


def _verify(client, code: str, **headers):
    return client.get(reverse("certificates:verify_code", args=[code]), **headers)


def test_valid_certificate_verifies_with_holder_course_and_dates(client, issued):
    response = _verify(client, issued.code)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Valid" in page
    assert issued.holder_name in page
    assert "Basic Life Support" in page
    assert issued.issued_on.strftime("%B %-d, %Y") in page
    assert issued.expires_on.strftime("%B %-d, %Y") in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_verification_shows_no_other_personal_data(client, issued):
    page = _verify(client, issued.code).content.decode()
    assert issued.user.email not in page
    user = issued.user
    user.licence_number, user.organisation = "RN-554433", "St. Elsewhere"
    user.save()
    page = _verify(client, issued.code).content.decode()
    assert "RN-554433" not in page
    assert "St. Elsewhere" not in page


def test_expired_certificate_verifies_as_expired(client, issued):
    with time_machine.travel(issued.expires_on + timedelta(days=1)):
        page = _verify(client, issued.code).content.decode()
    assert "Expired." in page
    assert "Valid." not in page


def test_certificate_is_valid_through_its_last_day(client, issued):
    last_day = datetime.combine(issued.expires_on, datetime.min.time(), tzinfo=UTC)
    with time_machine.travel(last_day + timedelta(hours=23)):
        page = _verify(client, issued.code).content.decode()
    assert "Valid." in page


def test_revoked_certificate_verifies_as_revoked_without_the_reason(
    client, issued, staff
):
    certificate_revoke(certificate=issued, by=staff, reason="Exam fraud suspected")
    page = _verify(client, issued.code).content.decode()
    assert "Revoked." in page
    assert "Exam fraud" not in page


def test_unknown_code_is_404_with_the_form_to_try_again(client):
    response = _verify(client, "BLS-2222-3333-4444")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Certificate not found" in page
    assert 'name="code"' in page


def test_code_typed_in_lower_case_redirects_to_the_printed_form(client, issued):
    response = _verify(client, issued.code.lower())
    assert response.status_code == 302
    assert response["Location"] == issued.get_absolute_url()


def test_verify_form_sends_a_code_to_its_page(client, issued):
    typed = issued.code.replace("-", " ").lower()
    response = client.get(reverse("certificates:verify"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == issued.get_absolute_url()


def test_verify_form_explains_a_malformed_code(client):
    response = client.get(reverse("certificates:verify"), {"code": "hello"})
    assert response.status_code == 200
    assert "That is not a certificate code" in response.content.decode()


def test_verify_form_page_renders_empty(client):
    response = client.get(reverse("certificates:verify"))
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


def test_verification_is_rate_limited_per_ip_with_a_429_page(client, issued, settings):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT = 5
    start = datetime(2027, 1, 5, 12, 0, 1, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            assert _verify(client, issued.code).status_code == 200
        limited = _verify(client, issued.code)
        assert limited.status_code == 429
        assert "Too many lookups" in limited.content.decode()
        assert 0 < int(limited["Retry-After"]) <= 60
        # Another address has its own allowance.
        other = _verify(client, issued.code, REMOTE_ADDR="198.51.100.7")
        assert other.status_code == 200
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert _verify(client, issued.code).status_code == 200


def test_unknown_codes_count_against_the_limit(client, settings):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT = 3
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            _verify(client, f"BLS-2222-3333-{n}{n}{n}{n}").status_code
            for n in (4, 5, 6, 7)
        ]
    assert statuses == [404, 404, 404, 429]


def test_limit_follows_the_client_behind_a_trusted_proxy(client, issued, settings):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    with time_machine.travel(timezone.now(), tick=False):
        first = _verify(client, issued.code, HTTP_X_FORWARDED_FOR="203.0.113.1")
        second = _verify(client, issued.code, HTTP_X_FORWARDED_FOR="203.0.113.2")
        again = _verify(client, issued.code, HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert (first.status_code, second.status_code, again.status_code) == (
        200,
        200,
        429,
    )


def test_dashboard_offers_no_download_of_a_revoked_certificate(client, issued, staff):
    certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    client.force_login(issued.user)
    page = client.get(reverse("courses:dashboard")).content.decode()
    assert _pdf_url(issued) not in page
    assert issued.get_absolute_url() in page


def test_unknown_code_is_echoed_escaped(client):
    response = client.get("/verify/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --- Verification while Redis is down or hung --------------------------------------


@pytest.fixture
def cache_at(settings, monkeypatch):
    """Points the shared cache at a Redis URL with the production options, and gives
    the rate limiter a fresh per-process fallback."""
    fallback = LocMemCache("test-ratelimit", {})
    fallback.clear()
    monkeypatch.setattr(ratelimit, "_local", fallback, raising=False)
    monkeypatch.setattr(ratelimit, "_shared_down_until", 0.0, raising=False)

    def point(url: str) -> None:
        settings.CACHES = {
            "default": {
                "BACKEND": "core.cache.RedisCache",
                "LOCATION": url,
                "OPTIONS": settings.REDIS_CACHE_OPTIONS,
            }
        }

    return point


def test_verification_answers_while_redis_refuses_connections(
    client, issued, cache_at, caplog
):
    cache_at(closed_port_url())
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        response = _verify(client, issued.code)
    assert response.status_code == 200
    assert issued.holder_name in response.content.decode()
    assert "Rate limit cache unavailable" in caplog.text


def test_verification_answers_while_redis_hangs(
    transactional_db, client, issued, cache_at, caplog
):
    # Bound: one Redis read timeout (2 s) and the page; 25 s means it hung.
    with HungServer() as hung, caplog.at_level(logging.WARNING):
        cache_at(hung.url)
        response, _ = call_within(25, lambda: _verify(client, issued.code))
        assert response.status_code == 200
        assert issued.holder_name in response.content.decode()
        assert "Rate limit cache unavailable" in caplog.text
        # Meanwhile the shared cache is not asked again: no second wait.
        again, _ = call_within(25, lambda: _verify(client, issued.code))
        assert again.status_code == 200
        assert len(hung.connections) == 1


def test_verification_stays_limited_per_process_while_redis_is_down(
    client, issued, cache_at, settings
):
    settings.CERTIFICATE_VERIFY_RATE_LIMIT = 2
    cache_at(closed_port_url())
    with time_machine.travel(datetime(2027, 1, 5, 12, 0, 1, tzinfo=UTC), tick=False):
        statuses = [_verify(client, issued.code).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
