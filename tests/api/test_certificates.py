"""GET /api/v1/certificates/{code}: what an employer's system is told about a code,
and only that; every error a problem body; rate-limited per client address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from certificates.models import Certificate
from certificates.selectors import certificate_facts
from certificates.services.revocation import certificate_revoke

PROBLEM = "application/problem+json"


def _lookup(client, code: str, **headers):
    return client.get(f"/api/v1/certificates/{code}", **headers)


def test_valid_certificate_answers_what_it_states(client, issued, settings):
    response = _lookup(client, issued.code)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "code": issued.code,
        "status": "valid",
        "holder_name": issued.holder_name,
        "course": {"title": "Basic Life Support", "code": "BLS"},
        "issued_on": issued.issued_on.isoformat(),
        "expires_on": issued.expires_on.isoformat(),
        "revoked_on": None,
        "ce_hours": float(issued.hours),
        "scope": certificate_facts(issued).scope,
        "verify_url": f"{settings.SITE_URL}/verify/{issued.code}/",
    }


def test_answer_carries_no_account_data(client, issued):
    # The licence number printed on the certificate (its snapshot) stays off the
    # API too: an employer's system gets the name as printed and nothing else.
    Certificate.objects.filter(pk=issued.pk).update(licence_number="RN-554433")
    user = issued.user
    user.organisation = "St. Elsewhere"
    user.save()
    body = _lookup(client, issued.code).content.decode()
    for private in (user.email, "RN-554433", "St. Elsewhere"):
        assert private not in body


def test_answer_is_never_cached_nor_indexed(client, issued):
    response = _lookup(client, issued.code)
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_expired_certificate_answers_expired(client, issued):
    with time_machine.travel(issued.expires_on + timedelta(days=1)):
        body = _lookup(client, issued.code).json()
    assert body["status"] == "expired"
    assert body["expires_on"] == issued.expires_on.isoformat()


def test_certificate_is_valid_through_its_last_day(client, issued):
    last_day = datetime.combine(issued.expires_on, datetime.min.time(), tzinfo=UTC)
    with time_machine.travel(last_day + timedelta(hours=23)):
        assert _lookup(client, issued.code).json()["status"] == "valid"


def test_revoked_certificate_answers_revoked_with_its_day_not_its_reason(
    client, issued, staff
):
    certificate_revoke(certificate=issued, by=staff, reason="Exam fraud suspected")
    response = _lookup(client, issued.code)
    body = response.json()
    assert body["status"] == "revoked"
    assert body["revoked_on"] == timezone.localdate().isoformat()
    assert "fraud" not in response.content.decode()


def test_api_and_verify_page_state_the_same_scope(client, issued):
    scope = _lookup(client, issued.code).json()["scope"]
    assert scope == certificate_facts(issued).scope
    assert scope in client.get(issued.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", " "),
        lambda code: code.replace("-", "").lower(),
        lambda code: code.replace("-", "\u2013"),  # an en dash from a word processor
    ],
    ids=["lower-case", "spaces", "no-separators", "en-dashes"],
)
def test_codes_are_read_as_the_verify_page_reads_them(client, issued, typed):
    response = _lookup(client, typed(issued.code))
    assert response.status_code == 200
    assert response.json()["code"] == issued.code


def test_unknown_code_is_a_404_problem(client, db):
    response = _lookup(client, "BLS-2222-3333-4444")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 404
    assert problem["code"] == "certificate.not_found"
    assert problem["type"] == "urn:lifeline:problem:certificate.not_found"
    assert problem["title"] == "Not found"
    assert "BLS-7KQ4-M2XD-9TRA" in problem["detail"]
    assert problem["instance"] == "/api/v1/certificates/BLS-2222-3333-4444"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "hello",
        "%00",
        "BLS-0000-1111-OOOO",  # look-alikes are not in the alphabet
        "x" * 5000,
        "%F0%9F%92%A5",
        "BLS-2222-3333-4444%0A",
        "..%2F..%2Fetc",
        "%25",
        "%3Cscript%3E",
    ],
)
def test_malformed_codes_are_404_problems_never_500(client, db, path):
    response = client.get(f"/api/v1/certificates/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 404


def test_rate_limited_per_client_with_a_429_problem(client, issued, settings):
    settings.CERTIFICATE_API_RATE_LIMIT = 3
    start = datetime(2027, 1, 5, 12, 0, 1, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            assert _lookup(client, issued.code).status_code == 200
        limited = _lookup(client, issued.code)
        assert limited.status_code == 429
        assert limited["Content-Type"] == PROBLEM
        assert limited["Retry-After"] == "59"
        problem = limited.json()
        assert problem["code"] == "certificate.lookups_rate_limited"
        assert problem["retry_after"] == 59
        assert "59 seconds" in problem["detail"]
        # Another address has its own allowance.
        other = _lookup(client, issued.code, REMOTE_ADDR="198.51.100.7")
        assert other.status_code == 200
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert _lookup(client, issued.code).status_code == 200


def test_unknown_and_malformed_codes_count_against_the_limit(client, db, settings):
    settings.CERTIFICATE_API_RATE_LIMIT = 3
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            _lookup(client, code).status_code
            for code in ("BLS-2222-3333-4444", "hello", "BLS-2222-3333-5555", "x")
        ]
    assert statuses == [404, 404, 404, 429]


def test_api_lookups_are_counted_apart_from_the_verify_page(client, issued, settings):
    settings.CERTIFICATE_API_RATE_LIMIT = 1
    settings.CERTIFICATE_VERIFY_RATE_LIMIT = 1
    with time_machine.travel(timezone.now(), tick=False):
        assert client.get(issued.get_absolute_url()).status_code == 200
        assert _lookup(client, issued.code).status_code == 200
        assert _lookup(client, issued.code).status_code == 429


def test_limit_follows_the_client_behind_a_trusted_proxy(client, issued, settings):
    settings.CERTIFICATE_API_RATE_LIMIT = 1
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            _lookup(client, issued.code, HTTP_X_FORWARDED_FOR=address).status_code
            for address in ("203.0.113.1", "203.0.113.2", "203.0.113.1")
        ]
    assert statuses == [200, 200, 429]


# --- A fixed number of queries ---------------------------------------------------------


def test_a_lookup_runs_two_queries_whatever_the_certificate(
    client, issued, staff, django_assert_num_queries
):
    # The certificate, then the hands-on skills check attached to its enrollment
    # (organizations, issue 17): the scope sentence states it when there is one.
    with django_assert_num_queries(2):
        assert _lookup(client, issued.code).status_code == 200
    certificate_revoke(certificate=issued, by=staff, reason="Issued in error")
    with django_assert_num_queries(2):
        assert _lookup(client, issued.code.lower()).json()["status"] == "revoked"
    with django_assert_num_queries(1):
        assert _lookup(client, "BLS-2222-3333-4444").status_code == 404


def test_a_malformed_code_runs_no_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert _lookup(client, "hello").status_code == 404


# --- Every error is a problem ----------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_other_methods_are_405_problems_naming_get(client, issued, method):
    response = getattr(client, method)(f"/api/v1/certificates/{issued.code}")
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response["Allow"] == "GET"
    assert response.json()["code"] == "http.method_not_allowed"


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/nothing", "/api/v1/certificates/", "/api/v2/x"]
)
def test_no_such_route_is_a_404_problem(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "http.not_found"


def test_an_oversized_body_is_a_413_problem(client, db, settings):
    body = b"x" * (settings.ANONYMOUS_REQUEST_MAX_BYTES + 1)
    response = client.post(
        "/api/v1/certificates/BLS-2222-3333-4444",
        data=body,
        content_type="application/octet-stream",
    )
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM


def test_a_host_we_do_not_serve_is_a_400_problem(client, db):
    response = _lookup(client, "BLS-2222-3333-4444", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "http.bad_request"


def test_a_server_error_is_a_500_problem_without_internals(client, db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(
        "api.certificates.selectors.certificate_for_verification", broken
    )
    client.raise_request_exception = False
    response = _lookup(client, "BLS-2222-3333-4444")
    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "http.internal_server_error"
    assert "hunter2" not in response.content.decode()


def test_pages_outside_the_api_keep_their_html_errors(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
