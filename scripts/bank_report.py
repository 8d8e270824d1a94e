#!/usr/bin/env python3
"""Print the item-quality figures and findings of the question banks in content/.

    .venv/bin/python scripts/bank_report.py            # every course
    .venv/bin/python scripts/bank_report.py bls acls   # some courses

For authors rewriting a bank: per bank, the item count, the key-longest and
key-shortest shares, the cue ratios, then every gate finding with its file:line
(exams/quality.py; docs/CONTENT_FORMAT.md explains the gates). Near-duplicate stems
are checked within a course and, across courses, between every pair of banks.
Then the bank standard of issue 14 (curriculum/standards.py: sizes, final blueprint,
vignettes, key points, explanations, ECG items), each problem with its file:line, or
what stops the content from loading at all. Exits 1 when anything fails.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exams.quality import (  # noqa: E402
    bank_figures,
    course_findings,
    cross_course_duplicate_stems,
)
from tests.curriculum.item_banks import read_all_banks  # noqa: E402


def main(argv: list[str]) -> int:
    content = ROOT / "content"
    by_course = read_all_banks(content)
    wanted = argv or sorted(by_course)
    wanted_ids = {
        item.id for slug in wanted for bank in by_course[slug] for item in bank.items
    }
    failed = False
    for slug in wanted:
        banks = by_course[slug]
        print(f"== {slug}")
        for bank in banks:
            f = bank_figures(bank)
            print(
                f"  {bank.name:38} {f.items:4} items  longest {f.longest_share:4.0%}"
                f"  shortest {f.shortest_share:4.0%}  absolute {f.absolute.ratio:4.2f}"
                f"  justifying {f.justifying.ratio:4.2f}"
            )
        for finding in course_findings(banks):
            failed = True
            print(f"  FAIL {finding}")
    # Stems shared across courses (one implementation: exams.quality).
    for finding in cross_course_duplicate_stems(by_course):
        if wanted_ids.intersection(finding.item_ids):
            failed = True
            print(f"  FAIL {finding}")
    failed = standard_report(content, wanted) or failed
    return 1 if failed else 0


def standard_report(content: Path, wanted: list[str]) -> bool:
    """Prints what the bank standard finds; True when it finds anything."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from curriculum import standards
    from curriculum.reader import ContentError, read_content

    print("== bank standard (issue 14)")
    try:
        tree = read_content(content)
    except ContentError as error:
        print(f"  the content does not load ({len(error.problems)} problems):")
        for problem in error.problems[:40]:
            print(f"  ERROR {problem}")
        return True
    found = False
    for course in tree.courses:
        if course.slug not in wanted:
            continue
        for check, problems in standards.course_problems(course).items():
            for problem in problems:
                found = True
                print(f"  STANDARD {check}: {problem}")
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
