#!/usr/bin/env python3
"""The blind second reading of the question banks (issue 14).

A reader who has not taken the course answers every item from the stem and choices
alone, and flags any item that can be answered without the course. Items a lay reader
gets right are not necessarily flawed (some knowledge is common), but every flag and
every right answer is a prompt to check the item for cues.

    scripts/blind_reading.py sheet bls > /tmp/bls-sheet.md   # stems and choices only
    scripts/blind_reading.py score bls /tmp/bls-answers.txt  # per bank: right/total
    scripts/blind_reading.py cues bls      # a machine reader that knows no medicine

`cues` reads each item as a test-wise candidate who knows nothing of the subject would:
it picks the option each cue points to (the longest, the shortest, the one sharing most
words with the stem, the odd one out, the only hedged one, the one another item of the
bank gives away) and reports, per bank, the share each strategy gets right (ties share
the credit: chance with four options is 25%), and the best single strategy.

The sheet numbers the items Q1, Q2... in bank order and shows each stem with its choices
labelled A-D in file order: no id (an id such as "torsades-magnesium" names the answer),
no key, explanation, topic or lesson. The answers file has one line per item:
`Q<n> <letter> [flag]`, e.g. `Q17 C flag`.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exams.quality import stem_tokens  # noqa: E402
from tests.curriculum.item_banks import read_all_banks  # noqa: E402

LETTERS = "ABCDEFG"


def _numbered(course: str):
    """(number, bank, item) in sheet order."""
    n = 0
    for bank in read_all_banks(ROOT / "content")[course]:
        for item in bank.items:
            n += 1
            yield n, bank, item


def sheet(course: str) -> None:
    current = None
    for n, bank, item in _numbered(course):
        if bank.name != current:
            current = bank.name
            print(f"\n## {bank.name}\n")
        print(f"### Q{n}\n{item.stem}\n")
        for letter, choice in zip(LETTERS, item.choices, strict=False):
            print(f"- {letter}. {choice.text}")
        print()


def score(course: str, answers_path: str) -> None:
    answers = {}
    for line in Path(answers_path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith("Q"):
            answers[parts[0]] = (parts[1].upper(), "flag" in parts[2:])
    banks: dict[str, list] = {}
    for n, bank, item in _numbered(course):
        banks.setdefault(bank.name, []).append((f"Q{n}", item))
    for name, items in banks.items():
        right, flagged, missing = Counter(), [], []
        for number, item in items:
            if number not in answers:
                missing.append(item.id)
                continue
            letter, flag = answers[number]
            key = next(i for i, c in enumerate(item.choices) if c.is_key)
            right[letter == LETTERS[key]] += 1
            if flag:
                flagged.append(item.id)
        total = right[True] + right[False]
        share = f"{right[True] / total:.0%}" if total else "-"
        print(
            f"{name:38} answered {total:3}  right {right[True]:3} ({share})"
            f"  flagged {len(flagged):2}  missing {len(missing)}"
        )
        for item_id in flagged:
            print(f"    flagged: {item_id}")


HEDGES = frozenset("may might consider usually often possible possibly likely".split())


def _credit(item, scores: list[float]) -> float:
    """1/t when the key is among the t options with the top score, else 0."""
    best = max(scores)
    top = [i for i, value in enumerate(scores) if value == best]
    key = next(i for i, c in enumerate(item.choices) if c.is_key)
    return 1 / len(top) if key in top else 0.0


def _similarity(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def cue_strategies(bank) -> dict[str, float]:
    """Share of the bank each cue strategy answers right."""
    totals: Counter = Counter()
    for item in bank.items:
        texts = [c.text for c in item.choices]
        tokens = [stem_tokens(t) for t in texts]
        stem = stem_tokens(item.stem)
        others = [o for o in bank.items if o.id != item.id]
        elsewhere = " ".join(
            " ".join([o.stem, *(c.text for c in o.choices if c.is_key)]) for o in others
        ).lower()
        n = len(texts)
        scores = {
            "longest": [len(t) for t in texts],
            "shortest": [-len(t) for t in texts],
            "stem words": [len(t & stem) for t in tokens],
            "odd one out": [
                -sum(_similarity(tokens[i], tokens[j]) for j in range(n) if j != i)
                for i in range(n)
            ],
            "only hedged": [len(t & HEDGES) > 0 for t in tokens],
            "given away": [t.lower().strip(" .") in elsewhere for t in texts],
        }
        for name, values in scores.items():
            totals[name] += _credit(item, [float(v) for v in values])
    return {name: totals[name] / len(bank.items) for name in totals}


def cues(course: str) -> None:
    for bank in read_all_banks(ROOT / "content")[course]:
        shares = cue_strategies(bank)
        best = max(shares, key=shares.get)
        figures = "  ".join(f"{name} {share:.0%}" for name, share in shares.items())
        print(f"{bank.name:34} {len(bank.items):3}  {figures}  | best: {best}")


if __name__ == "__main__":
    command, course, *rest = sys.argv[1:]
    if command == "sheet":
        sheet(course)
    elif command == "cues":
        cues(course)
    else:
        score(course, rest[0])
