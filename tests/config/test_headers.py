"""Security headers on every response: pages, error pages and static files alike."""

from __future__ import annotations

import pytest
from django.urls import reverse


def _assert_security_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp


def test_static_file_carries_the_security_headers(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)  # the real file was served
    _assert_security_headers(response)


def test_static_svg_cannot_run_script(client):
    # An SVG opened directly is a document: the CSP forbids scripts inside it.
    response = client.get("/static/img/favicon.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    _assert_security_headers(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        reverse("courses:catalog"),
        reverse("certificates:verify"),
        reverse("account_login"),
        "/no-such-page/",
    ],
)
def test_pages_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    _assert_security_headers(response)
