"""Audit the installed dependencies for known vulnerabilities, honestly.

Runs pip-audit on the project's virtual environment (every installed distribution at
its exact version, transitive ones included) against PyPI's vulnerability data
(`pip-audit -s osv` or other pip-audit options can be passed through). pip-audit on
its own prints "No known vulnerabilities found" and exits 0 even when it could look
up none of the dependencies (no network, or a registry mirror without PyPI's
per-release JSON API), so this script reads its JSON report and says which case it is.

Exit status: 0 audited, nothing known; 1 known vulnerabilities (listed); 2 the audit
could not be done, wholly or partly (how many dependencies were not audited, and why).
`make audit` fails on 1 and 2; `make lint` fails on 1 and prints the 2 notice.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

NOT_DONE = 2


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        run = subprocess.run(  # noqa: S603 - our own venv's pip-audit, fixed arguments
            [
                str(Path(sys.executable).parent / "pip-audit"),
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(report),
                *argv,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if not report.exists():
            reason = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["?"]
            print(
                "DEPENDENCY AUDIT NOT DONE: pip-audit could not reach a vulnerability "
                f"service ({reason[0]}). Nothing was audited; run `make audit` where "
                "PyPI's JSON API or OSV is reachable."
            )
            return NOT_DONE
        dependencies = json.loads(report.read_text())["dependencies"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(
                f"VULNERABLE {dependency['name']} {dependency['version']}: "
                f"{vuln['id']} (fixed in {fixed})"
            )
    if vulnerable:
        print(f"{len(vulnerable)} of {audited} audited dependencies are vulnerable.")
        return 1
    if skipped:
        example = skipped[0]["skip_reason"]
        print(
            f"DEPENDENCY AUDIT NOT DONE: {len(skipped)} of {len(dependencies)} "
            f"dependencies could not be audited (e.g. {example}). This is not a clean "
            "audit: the vulnerability data could not be fetched from here. Run `make "
            "audit` where PyPI's JSON API (or OSV: `-s osv`) is reachable."
        )
        return NOT_DONE
    print(f"Audited {audited} dependencies: no known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
