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


# Empty since the bank rewrite of issue 14: every bank passes every gate. Keep it so.
KNOWN_FAILURES: list[KnownFailure] = []
