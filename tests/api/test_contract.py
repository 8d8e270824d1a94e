"""Contract tests: schemathesis runs against the live schema of a real server.

Every operation of /api/v1/schema, through every phase (the schema's examples,
coverage of each parameter's edge cases and of methods the schema does not list,
random fuzzing, stateful sequences) and every check (no 5xx, status codes, content
types, headers and bodies as the schema declares them, 405 with Allow for other
methods, ...). The rate limits are relaxed for the run. The organization
operations run with a token of the schema's example organization ("mercy"), which
has sharing members, one who does not share and required courses; the
`ignored_auth` check also calls them without it. Its findings must be zero.

The CLI runs in a subprocess against pytest-django's live server (a thread of this
process, on the test database), over the loopback interface only.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from api.schemas import EXAMPLE_CODE
from certificates.models import Certificate
from organizations.services import api_token_create
from tests import factories
from tests.organizations.conftest import certify, member

pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.fixture
def certificates(bls):
    """The schema's example code is a real certificate; others are expired and
    revoked, so the run meets every status."""
    today = timezone.localdate()
    factories.CertificateFactory(enrollment__course=bls, code=EXAMPLE_CODE)
    factories.CertificateFactory(
        enrollment__course=bls,
        code="BLS-2345-6789-ABCD",
        issued_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=70),
    )
    factories.CertificateFactory(
        enrollment__course=bls,
        code="BLS-BCDE-FGHJ-KLMN",
        status=Certificate.Status.REVOKED,
        revoked_at=timezone.now(),
        revoke_reason="Issued in error",
    )


@pytest.fixture
def token(organization, org_admin, required, nurse, bls, today) -> str:
    """A token of Mercy Hospital (the schema's example slug), with members."""
    nora = member(
        organization,
        job_role=nurse,
        email="jordan.rivera@example.org",
        licence_number="RN 448812",
    )
    certify(nora.user, bls, expires_on=today + timedelta(days=400))
    member(organization)
    member(organization, sharing=False)
    return api_token_create(
        organization=organization, name="Contract test", by=org_admin
    ).secret


def test_schemathesis_finds_nothing_against_the_live_schema(
    live_server, client, certificates, token, settings, tmp_path
):
    settings.CERTIFICATE_API_RATE_LIMIT = 1_000_000
    settings.ORGANIZATION_API_RATE_LIMIT = 1_000_000
    junit = tmp_path / "junit.xml"
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/v1/schema",
            "--checks=all",
            "--phases=examples,coverage,fuzzing,stateful",
            "--max-examples=150",
            "--seed=18",
            "--workers=1",
            "--generation-database=none",
            "--request-timeout=10",
            "--report=junit",
            f"--report-junit-path={junit}",
            "--no-color",
            f"--header=Authorization: Bearer {token}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # schemathesis keeps a replay folder in its working directory
        timeout=480,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    suite = ElementTree.parse(junit).getroot()  # noqa: S314 - written by the run above
    cases = suite.findall(".//testcase")
    # Every operation of the schema ran, and none failed or errored.
    schema = client.get("/api/v1/schema").json()
    operations = {
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert {
        "GET /api/v1/certificates/{code}",
        "GET /api/v1/organizations/{slug}/members",
        "POST /api/v1/organizations/{slug}/members/lookup",
    } <= operations
    # With more than one operation schemathesis infers links between them and
    # reports its stateful sequences as one case of their own.
    names = {case.get("name") for case in cases} - {"Stateful tests"}
    assert names == operations, output
    assert not suite.findall(".//failure") and not suite.findall(".//error"), output
