#!/usr/bin/env python3
"""The blind second reading of the question banks (issue 14).

A reader who has not taken the course answers every item from the stem and choices
alone, and flags any item that can be answered without the course. Items a lay reader
gets right are not necessarily flawed (some knowledge is common), but every flag and
every right answer is a prompt to check the item for cues.

    scripts/blind_reading.py sheet bls > /tmp/bls-sheet.md   # stems and choices only
    scripts/blind_reading.py score bls /tmp/bls-answers.txt  # per bank: right/total

The sheet shows each item's id, stem and choices labelled A-D in file order (no key, no
explanation, no topic, no lesson). The answers file has one line per item:
`<item id> <letter> [flag]`, e.g. `bls-m1-why-speed C flag`.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.curriculum.item_banks import read_all_banks  # noqa: E402

LETTERS = "ABCDEFG"


def sheet(course: str) -> None:
    for bank in read_all_banks(ROOT / "content")[course]:
        print(f"\n## {bank.name}\n")
        for item in bank.items:
            print(f"### {item.id}\n{item.stem}\n")
            for letter, choice in zip(LETTERS, item.choices, strict=False):
                print(f"- {letter}. {choice.text}")
            print()


def score(course: str, answers_path: str) -> None:
    answers = {}
    for line in Path(answers_path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            answers[parts[0]] = (parts[1].upper(), "flag" in parts[2:])
    for bank in read_all_banks(ROOT / "content")[course]:
        right, flagged, missing = Counter(), [], []
        for item in bank.items:
            if item.id not in answers:
                missing.append(item.id)
                continue
            letter, flag = answers[item.id]
            key = next(i for i, c in enumerate(item.choices) if c.is_key)
            right[letter == LETTERS[key]] += 1
            if flag:
                flagged.append(item.id)
        total = right[True] + right[False]
        share = f"{right[True] / total:.0%}" if total else "-"
        print(
            f"{bank.name:38} answered {total:3}  right {right[True]:3} ({share})"
            f"  flagged {len(flagged):2}  missing {len(missing)}"
        )
        for item_id in flagged:
            print(f"    flagged: {item_id}")


if __name__ == "__main__":
    command, course, *rest = sys.argv[1:]
    if command == "sheet":
        sheet(course)
    else:
        score(course, rest[0])
