"""Per-case statistics for staff, beside the exam statistics: how many attempts,
how many pass, which critical error and which missed requirement come up most, the
CPR fraction, and how long learners take to the first shock and the first dose of
epinephrine (simulated seconds: the clock of the case, not of the learner)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from ..models import Case, CaseAttempt
from .attempts import clock


@dataclass(frozen=True)
class FindingCount:
    id: str
    debrief: str
    attempts: int  # attempts in which it came up
    share: float  # of finished attempts


@dataclass
class CaseStatistics:
    case: Case
    attempts: int = 0
    in_progress: int = 0
    finished: int = 0
    passed: int = 0
    abandoned: int = 0
    learners: int = 0
    errors: list[FindingCount] = field(default_factory=list)
    missed: list[FindingCount] = field(default_factory=list)
    median_first_shock: float | None = None
    median_first_epinephrine: float | None = None
    median_cpr_fraction: float | None = None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.finished if self.finished else None

    @property
    def most_frequent_error(self) -> FindingCount | None:
        return self.errors[0] if self.errors else None

    @property
    def median_first_shock_clock(self) -> str:
        return clock(_whole(self.median_first_shock))

    @property
    def median_first_epinephrine_clock(self) -> str:
        return clock(_whole(self.median_first_epinephrine))


def _whole(value: float | None) -> int | None:
    return None if value is None else round(value)


def _ranked(counter: Counter, debriefs: dict[str, str], finished: int) -> list:
    return [
        FindingCount(
            id=finding_id,
            debrief=debriefs.get(finding_id, ""),
            attempts=count,
            share=count / finished if finished else 0.0,
        )
        for finding_id, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def case_statistics(*, case: Case) -> CaseStatistics:
    """Every attempt of the case, whatever version (one query): the counts, the
    critical errors and missed requirements ranked by the share of finished
    attempts they came up in (each counted once per attempt), and the medians
    over finished attempts that have a value (a case without a shockable rhythm
    has no first shock)."""
    stats = CaseStatistics(case=case)
    errors: Counter = Counter()
    missed: Counter = Counter()
    debriefs: dict[str, str] = {}
    shocks, epinephrine, fractions = [], [], []
    learners = set()
    for row in CaseAttempt.objects.filter(case=case).values_list(
        "user_id",
        "status",
        "passed",
        "ended_by",
        "findings",
        "first_shock_seconds",
        "first_epinephrine_seconds",
        "cpr_fraction",
    ):
        user_id, status, passed, ended_by, findings, shock, epi, fraction = row
        stats.attempts += 1
        learners.add(user_id)
        if status == CaseAttempt.Status.OPEN:
            stats.in_progress += 1
            continue
        stats.finished += 1
        stats.passed += bool(passed)
        stats.abandoned += ended_by == "abandoned"
        for kind, counter in (("error", errors), ("missed", missed)):
            ids = {f.get("id") for f in findings or [] if f.get("kind") == kind}
            counter.update(ids)
        for finding in findings or []:
            debriefs.setdefault(finding.get("id"), finding.get("debrief", ""))
        if shock is not None:
            shocks.append(shock)
        if epi is not None:
            epinephrine.append(epi)
        if fraction is not None:
            fractions.append(fraction)
    stats.learners = len(learners)
    stats.errors = _ranked(errors, debriefs, stats.finished)
    stats.missed = _ranked(missed, debriefs, stats.finished)
    stats.median_first_shock = median(shocks) if shocks else None
    stats.median_first_epinephrine = median(epinephrine) if epinephrine else None
    stats.median_cpr_fraction = median(fractions) if fractions else None
    return stats
