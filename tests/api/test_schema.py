"""The API's contract is published: an OpenAPI 3.1 schema at /api/v1/schema and a
reference page drawn from it at /api/v1/docs, served under the site's CSP."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/schema"
DOCS = "/api/v1/docs"
OPERATION = "/api/v1/certificates/{code}"


def test_schema_is_openapi_3_1_with_the_certificate_operation(client):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"] == "3.1.0"
    operation = schema["paths"][OPERATION]["get"]
    assert operation["operationId"] == "certificate_verify"
    assert [p["name"] for p in operation["parameters"]] == ["code"]
    ok = operation["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == {"$ref": "#/components/schemas/Certificate"}


def test_schema_declares_every_error_as_problem_details(client):
    schema = client.get(SCHEMA).json()
    responses = schema["paths"][OPERATION]["get"]["responses"]
    assert {"404", "429"} <= set(responses)
    for status in ("404", "429"):
        assert list(responses[status]["content"]) == ["application/problem+json"]
    assert "Retry-After" in responses["429"]["headers"]
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])


def test_certificate_schema_holds_no_personal_data_fields(client):
    schema = client.get(SCHEMA).json()
    fields = set(schema["components"]["schemas"]["Certificate"]["properties"])
    assert fields == {
        "code",
        "status",
        "holder_name",
        "course",
        "issued_on",
        "expires_on",
        "revoked_on",
        "ce_hours",
        "scope",
        "verify_url",
    }


def test_schema_is_read_only(client):
    response = client.delete(SCHEMA)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert "GET" in response["Allow"]


def test_docs_page_lists_the_operation_with_a_curl_example(client, settings):
    response = client.get(DOCS)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"GET {OPERATION}" in page
    assert f"curl -s {settings.SITE_URL}/api/v1/certificates/BLS-7KQ4-M2XD-9TRA" in page
    assert 'href="/api/v1/schema"' in page
    # Its fields and errors come from the schema.
    for text in ("holder_name", "application/problem+json", "Retry-After"):
        assert text in page


def test_docs_page_loads_nothing_from_outside_and_nothing_inline(client):
    response = client.get(DOCS)
    page = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(source.startswith("/") for source in sources), sources
    assert "<style" not in page
    assert " style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
