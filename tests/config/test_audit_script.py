"""`make audit` never reports a clean audit that audited nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_PIP_AUDIT = """#!/bin/sh
# Stands in for pip-audit: writes the report given in $FAKE_REPORT to --output.
while [ $# -gt 0 ]; do
  if [ "$1" = "--output" ]; then out="$2"; fi
  shift
done
[ -n "$FAKE_REPORT" ] && printf '%s' "$FAKE_REPORT" > "$out"
echo "No known vulnerabilities found"
exit 0
"""


def _audit(tmp_path: Path, report: dict | None) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    fake = bin_dir / "pip-audit"
    fake.write_text(FAKE_PIP_AUDIT)
    fake.chmod(0o755)
    env = {**os.environ, "FAKE_REPORT": json.dumps(report) if report else ""}
    return subprocess.run(
        [str(bin_dir / "python"), str(ROOT / "scripts" / "audit_dependencies.py")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _dependency(name, *, vulns=(), skip=None) -> dict:
    entry = {"name": name, "version": "1.0", "vulns": list(vulns)}
    if skip:
        entry = {"name": name, "skip_reason": skip}
    return entry


@pytest.mark.parametrize(
    ("report", "status", "says"),
    [
        (
            {"dependencies": [_dependency("django"), _dependency("redis")]},
            0,
            "Audited 2 dependencies: no known vulnerabilities.",
        ),
        (
            {
                "dependencies": [
                    _dependency("django", skip="Dependency not found on PyPI"),
                    _dependency("redis", skip="Dependency not found on PyPI"),
                ]
            },
            2,
            "DEPENDENCY AUDIT NOT DONE: 2 of 2 dependencies could not be audited",
        ),
        (
            {
                "dependencies": [
                    _dependency(
                        "django",
                        vulns=[{"id": "PYSEC-0000-1", "fix_versions": ["1.1"]}],
                    ),
                    _dependency("redis", skip="Dependency not found on PyPI"),
                ]
            },
            1,
            "VULNERABLE django 1.0: PYSEC-0000-1 (fixed in 1.1)",
        ),
        (None, 2, "DEPENDENCY AUDIT NOT DONE: pip-audit could not reach"),
    ],
    ids=["clean", "nothing-audited", "vulnerable", "service-unreachable"],
)
def test_audit_tells_clean_from_not_audited(tmp_path, report, status, says):
    result = _audit(tmp_path, report)
    assert result.returncode == status, result.stdout + result.stderr
    assert says in result.stdout
