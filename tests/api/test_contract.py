"""Contract tests: schemathesis runs against the live schema of a real server.

Every operation of /api/v1/schema, through every phase (the schema's examples,
coverage of each parameter's edge cases and of methods the schema does not list,
random fuzzing, stateful sequences) and every check (no 5xx, status codes, content
types, headers and bodies as the schema declares them, 405 with Allow for other
methods, ...). The rate limit is relaxed for the run. Its findings must be zero.

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
from tests import factories

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


def test_schemathesis_finds_nothing_against_the_live_schema(
    live_server, client, certificates, settings, tmp_path
):
    settings.CERTIFICATE_API_RATE_LIMIT = 1_000_000
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
    assert "GET /api/v1/certificates/{code}" in operations
    assert {case.get("name") for case in cases} == operations, output
    assert not suite.findall(".//failure") and not suite.findall(".//error"), output
