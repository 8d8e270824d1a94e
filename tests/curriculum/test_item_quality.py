"""The item-quality gates of exams/quality.py run against the real banks in content/
(issue 12; docs/CONTENT_FORMAT.md, "Item-quality gates").

What the gates find must equal the list of known failures exactly: a new failure fails,
and so does a listed failure that no longer occurs, so the bank rewrite removes entries
as it fixes them. Each course's figures are printed (past output capture) for CI logs.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
from django.conf import settings

from exams import quality
from tests.curriculum.item_banks import read_all_banks
from tests.curriculum.item_quality_known_failures import KNOWN_FAILURES

COURSES = ("acls", "bls", "cpr-aed")


@pytest.fixture(scope="module")
def banks_by_course():
    return read_all_banks(Path(settings.CONTENT_DIR))


def _report(course: str, banks, findings) -> str:
    lines = [f"\nItem-quality gates: {course}"]
    header = (
        f"  {'bank':30} {'items':>5} {'longest':>8} {'shortest':>8} "
        f"{'absolute (wrong/keys, ratio)':>29} {'justifying (wrong/keys, ratio)':>31}"
        "  findings"
    )
    lines.append(header)
    by_bank = Counter(f.bank for f in findings)
    for bank in banks:
        fig = quality.bank_figures(bank)
        gated = "" if fig.share_gates_apply else "*"
        a, j = fig.absolute, fig.justifying
        lines.append(
            f"  {bank.name:30} {fig.items:>5} "
            f"{fig.longest_share:>7.0%}{gated or ' '} {fig.shortest_share:>7.0%}"
            f"{gated or ' '} "
            f"{f'{a.distractors_with}/{a.distractors} vs {a.keys_with}/{a.keys}':>21}"
            f"{a.ratio:>8.2f} "
            f"{f'{j.distractors_with}/{j.distractors} vs {j.keys_with}/{j.keys}':>21}"
            f"{j.ratio:>10.2f}  {by_bank[bank.name]}"
        )
    items = [item for bank in banks for item in bank.items]
    closest = max(
        (
            (quality.stem_similarity(a.stem, b.stem), a.id, b.id)
            for a, b in combinations(items, 2)
        ),
        default=(0, "-", "-"),
    )
    pairs = sum(f.code == quality.NEAR_DUPLICATE_STEM for f in findings)
    lines.append(
        f"  near-duplicate stem pairs (>= {quality.NEAR_DUPLICATE_SIMILARITY}): "
        f"{pairs}; closest pair {float(closest[0]):.2f} ({closest[1]}, {closest[2]})"
    )
    lines.append(
        f"  * fewer than {quality.MIN_BANK_ITEMS} items: share and ratio gates "
        "do not apply"
    )
    lines += [f"  {f}" for f in findings]
    return "\n".join(lines)


def test_every_bank_in_content_is_read_with_its_lines(banks_by_course):
    root = Path(settings.CONTENT_DIR)
    assert sorted(banks_by_course) == sorted(COURSES)
    files = sorted(root.glob("*/final-exam.yaml")) + sorted(root.glob("*/*/quiz.yaml"))
    banks = [bank for banks in banks_by_course.values() for bank in banks]
    assert len(banks) == len(files)
    for course, course_banks in banks_by_course.items():
        assert [b.is_final for b in course_banks][-1] is True
        assert sum(b.is_final for b in course_banks) == 1, course
    for bank in banks:
        assert bank.items, bank.name
        for item in bank.items:
            assert len(item.keys) == 1, item.id
            path, line = item.source.rsplit(":", 1)
            text = (root.parent / path).read_text(encoding="utf-8").splitlines()
            assert text[int(line) - 1].strip() == f"- id: {item.id}"
    # The share and ratio gates must really run on something.
    assert all(
        len(b.items) >= quality.MIN_BANK_ITEMS
        for bs in banks_by_course.values()
        for b in bs
        if b.is_final
    )


def test_known_failures_are_listed_once_with_a_reason_and_a_real_bank(
    banks_by_course,
):
    names = {b.name for bs in banks_by_course.values() for b in bs}
    keys = [k.key for k in KNOWN_FAILURES]
    assert len(keys) == len(set(keys)), "an entry is listed twice"
    for known in KNOWN_FAILURES:
        assert known.code in quality.GATE_CODES, known
        assert known.bank in names, known
        assert len(known.reason.strip()) >= 20, f"give a reason: {known}"


@pytest.mark.parametrize("course", COURSES)
def test_item_quality_gates_find_exactly_the_known_failures(
    banks_by_course, course, capsys
):
    banks = banks_by_course[course]
    findings = quality.course_findings(banks)
    with capsys.disabled():
        print(_report(course, banks, findings))

    found = {f.key: f for f in findings}
    known = {k.key: k for k in KNOWN_FAILURES if k.bank.split("/")[0] == course}
    new = [found[key] for key in found if key not in known]
    fixed = [known[key] for key in known if key not in found]
    problems = []
    if new:
        problems.append(
            "New item-quality failures (fix the items; see docs/CONTENT_FORMAT.md):\n"
            + "\n".join(f"  {f}" for f in new)
        )
    if fixed:
        problems.append(
            "Known failures that no longer occur: remove them from "
            "tests/curriculum/item_quality_known_failures.py:\n"
            + "\n".join(f"  {k.code} {k.bank} {list(k.item_ids)}" for k in fixed)
        )
    assert not problems, "\n\n".join(problems)


def test_a_cue_written_into_a_bank_file_is_found_at_its_file_and_line(tmp_path):
    """The pipeline is real: a bank file edited on disk is read and gated with the
    line of the edited item (here a copy of the BLS final, in a scratch content/)."""
    source = Path(settings.CONTENT_DIR) / "bls"
    course = tmp_path / "content" / "bls"
    course.mkdir(parents=True)
    (course / "course.md").write_text((source / "course.md").read_text())
    rows = (source / "final-exam.yaml").read_text(encoding="utf-8").splitlines()
    # The first item of the bank gets a negative stem in lower case.
    line = next(n for n, row in enumerate(rows, 1) if row.startswith("  - id: "))
    item_id = rows[line - 1].split("- id: ")[1].strip()
    stem = next(
        n for n, row in enumerate(rows[line:], line) if row.startswith("    text: ")
    )
    rows[stem] = (
        '    text: "You are alone with a pulseless infant. Which ratio is not used?"'
    )
    (course / "final-exam.yaml").write_text("\n".join(rows) + "\n", encoding="utf-8")
    [bank] = read_all_banks(tmp_path / "content")["bls"]
    negative = [
        f
        for f in quality.course_findings([bank])
        if f.code == quality.NEGATIVE_STEM_LOWERCASE
    ]
    assert [(f.bank, f.item_ids, f.sources) for f in negative] == [
        (
            "bls/final",
            (item_id,),
            (f"content/bls/final-exam.yaml:{line}",),
        )
    ]
