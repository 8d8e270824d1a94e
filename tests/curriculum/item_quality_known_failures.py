"""Item-quality gate failures that today's banks are known to have (issue 12).

tests/curriculum/test_item_quality.py matches these exactly, by (gate code, bank, item
ids), against what the gates find in content/: a finding not listed here fails the
test, and so does an entry here that no longer occurs. The bank rewrite removes each
entry in the commit that fixes it. Never add an entry to make a new problem pass:
fix the item. Bank-wide gates (shares and ratios) have no item ids.

Figures in the reasons are as measured when the gates were introduced.
"""

from __future__ import annotations

from typing import NamedTuple


class KnownFailure(NamedTuple):
    code: str
    bank: str
    item_ids: tuple[str, ...]
    reason: str

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.code, self.bank, self.item_ids)


KNOWN_FAILURES: list[KnownFailure] = [
    # --- acls ---------------------------------------------------------------------
    KnownFailure(
        "negative-stem-lowercase",
        "acls/bradycardia",
        ("acls-brady-transplant",),
        'Stem asks "least likely" in lower case; write LEAST or ask which patient '
        "atropine will not help in a positive form.",
    ),
    KnownFailure(
        "negative-stem-lowercase",
        "acls/post-arrest-care",
        ("acls-rosc-cold-fluids",),
        'Stem asks "why is ... not recommended" in lower case; write NOT or ask '
        "for the risk of cold fluids directly.",
    ),
    KnownFailure(
        "absolute-words-in-distractors",
        "acls/final",
        (),
        "Absolute words in 25 of 291 wrong choices against 4 of 97 keys "
        "(smoothed ratio 1.76).",
    ),
    KnownFailure(
        "justifying-clause-in-distractors",
        "acls/final",
        (),
        "Self-justifying clauses in 31 of 291 wrong choices against 0 of 97 keys "
        "(smoothed ratio 10.8): 'never pick the option that argues for itself'.",
    ),
    # --- bls ----------------------------------------------------------------------
    # --- cpr-aed ------------------------------------------------------------------
]
