"""The case and the learner's attempt as pages show them: the briefing, the play
page (only what the engine's view exposes, plus the log), the debrief.

The play page never sees the definition: no state id, rhythm name, transition,
requirement or error reaches it, only `Definition.view(state)` (the narrative, the
monitor's values as measured, the clocks) and the lines of the learner's own log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.http import Http404
from django.urls import reverse

from courses.markdown import render_markdown
from courses.models import Lesson

from ..definitions import definition_for
from ..engine import clock as engine_clock
from ..models import Case, CaseAttempt, CaseEvent

# How the debrief names each kind of finding.
FINDING_KINDS = {
    "missed": "Critical action missed or late",
    "error": "Critical error",
    "deviation": "To improve",
}
# How an attempt ended, as the debrief says it.
ENDINGS = {
    "rosc": "Return of spontaneous circulation",
    "transfer": "Handed over for further care",
    "recovered": "The patient recovered",
    "death": "The patient died",
    "handoff": "You handed over care",
    "terminate": "You stopped the resuscitation",
    "time_limit": "The case reached its time limit",
    "abandoned": "You stopped the case",
}


def clock(seconds: int | None) -> str:
    """Simulated seconds as the log shows them (the engine's clock), "" for none."""
    if seconds is None:
        return ""
    return engine_clock(seconds)


def case_for_viewer(
    *, course_slug: str, case_slug: str, as_staff: bool = False
) -> Case:
    """An active case of a published course (any case for staff); else 404."""
    queryset = Case.objects.select_related("course")
    if not as_staff:
        queryset = queryset.filter(course__is_published=True, is_active=True)
    try:
        return queryset.get(course__slug=course_slug, slug=case_slug)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def case_attempt_for_owner(*, attempt_id: int, user) -> CaseAttempt:
    """The attempt if `user` played it; 404 for anyone else (staff included: they
    read attempts in the admin), so an attempt's existence is not revealed."""
    try:
        return CaseAttempt.objects.select_related("case__course").get(
            pk=attempt_id, user=user
        )
    except CaseAttempt.DoesNotExist:
        raise Http404("No such case attempt.") from None


def strip_url(*, course_slug: str, path: str | None) -> str:
    """The monitor strip's address (a course image), or "" when none is shown.
    The state names it from the course folder (`images/ecg/monitor/m-10.svg`); the
    image route adds `images/` itself."""
    if not path:
        return ""
    return reverse("courses:image", args=[course_slug, path.removeprefix("images/")])


@dataclass
class LogLine:
    seq: int
    t: int
    kind: str
    text: str

    @property
    def clock(self) -> str:
        return clock(self.t)

    def as_dict(self) -> dict:
        return {
            "seq": self.seq,
            "t": self.t,
            "clock": self.clock,
            "kind": self.kind,
            "text": self.text,
        }


def log_lines(events) -> list[LogLine]:
    return [LogLine(seq=e.seq, t=e.t, kind=e.kind, text=e.text) for e in events]


@lru_cache(maxsize=2048)
def _narrative_html(text: str, course_slug: str) -> str:
    """A narrative's sanitized HTML (courses.markdown), rendered once per process:
    narratives are few and fixed, and an action's page shows one."""
    return render_markdown(text, course_slug=course_slug).html


@dataclass
class PlayPage:
    """What the play page shows: the engine's view of the state (nothing more),
    the monitor strip's address, the log so far, the actions offered and the
    number of log lines the page has seen (posted back as `expected_seq`)."""

    attempt: CaseAttempt
    case: Case
    view: dict
    narrative_html: str
    strip_src: str
    log: list[LogLine]
    expected_seq: int
    definition: object = None

    @cached_property
    def actions(self) -> list[dict]:
        """The toolkit's action groups (the same in every state): for the page's
        forms, not for the JSON of an action."""
        return self.definition.actions_offered()

    def as_dict(self, *, since: int = 0) -> dict:
        """The JSON the page asks for after an action: the new state and the log
        lines from `since` on."""
        return {
            "view": self.view,
            "narrative_html": self.narrative_html,
            "strip_src": self.strip_src,
            "log": [line.as_dict() for line in self.log if line.seq >= since],
            "expected_seq": self.expected_seq,
            "finished": not self.attempt.is_open,
            "debrief_url": ""
            if self.attempt.is_open
            else reverse("cases:debrief", args=[self.attempt.pk]),
        }


def play_page(*, attempt: CaseAttempt, events=None) -> PlayPage:
    """The play page of an attempt (one query for its log unless `events`, the
    rows an action just wrote, are given with `since`)."""
    definition = definition_for(version_id=attempt.version_id)
    view = definition.view(attempt.state)
    if events is None:
        events = CaseEvent.objects.filter(attempt=attempt).order_by("seq")
    course_slug = attempt.case.course.slug
    return PlayPage(
        attempt=attempt,
        case=attempt.case,
        view=view,
        narrative_html=_narrative_html(view.get("narrative") or "", course_slug),
        strip_src=strip_url(
            course_slug=course_slug,
            path=(view.get("monitor") or {}).get("strip"),
        ),
        log=log_lines(events),
        expected_seq=attempt.event_count,
        definition=definition,
    )


@dataclass
class Finding:
    id: str
    kind: str
    t: int
    debrief: str
    lesson_title: str = ""
    lesson_url: str = ""

    @property
    def kind_label(self) -> str:
        return FINDING_KINDS.get(self.kind, self.kind)

    @property
    def clock(self) -> str:
        return clock(self.t)

    @property
    def critical(self) -> bool:
        return self.kind in ("missed", "error")


@dataclass
class TimelineRow:
    t: int
    text: str
    note: str = ""

    @property
    def clock(self) -> str:
        return clock(self.t)


@dataclass
class Debrief:
    """An ended attempt explained: passed or not and why, each finding with its
    debrief line and the lesson that teaches it, the learner's actions beside the
    expected path (the case's ideal path replayed by the engine), the CPR fraction,
    and the algorithm the case follows (named only now). A failed attempt's page
    shows only `to_review` of these (see there); the findings stay on the attempt
    for staff (admin)."""

    attempt: CaseAttempt
    case: Case
    passed: bool
    ending: str
    findings: list[Finding] = field(default_factory=list)
    yours: list[TimelineRow] = field(default_factory=list)
    expected: list[TimelineRow] = field(default_factory=list)
    cpr_fraction: float | None = None
    algorithm: str = ""
    sources: list[str] = field(default_factory=list)

    @property
    def critical_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.critical]

    @property
    def deviations(self) -> list[Finding]:
        return [f for f in self.findings if not f.critical]

    @property
    def cpr_percent(self) -> int | None:
        return None if self.cpr_fraction is None else round(100 * self.cpr_fraction)

    @property
    def to_review(self) -> list[tuple[str, str, int]]:
        """What a failed attempt shows instead of its findings: each lesson the
        critical findings link to, once, with how many of them it covers: (title,
        url, count). Which action was missed or wrong, when, and the expected path
        stay hidden until the case is passed: the case is the same on every retake,
        so they would be its answer key (as an exam's result names topics, never
        the questions missed)."""
        counts: dict[str, list] = {}
        for finding in self.critical_findings:
            if finding.lesson_url:
                row = counts.setdefault(finding.lesson_url, [finding.lesson_title, 0])
                row[1] += 1
        return [(title, url, count) for url, (title, count) in counts.items()]

    @property
    def lessons(self) -> list[tuple[str, str]]:
        """Each lesson the findings link to, once, in order: (title, url)."""
        seen: dict[str, str] = {}
        for finding in self.findings:
            if finding.lesson_url and finding.lesson_url not in seen:
                seen[finding.lesson_url] = finding.lesson_title
        return [(title, url) for url, title in seen.items()]


def case_debrief(*, attempt: CaseAttempt) -> Debrief:
    """The debrief of an ended attempt (the caller checked it is the learner's: see
    case_attempt_for_owner). Lessons are looked up by slug in the case's course
    (one query); the timelines come from the attempt's state and, for a passed
    attempt only, the version's ideal path replayed."""
    definition = definition_for(version_id=attempt.version_id)
    score = definition.score(attempt.state)
    course = attempt.case.course
    slugs = {f.get("lesson") for f in attempt.findings if f.get("lesson")}
    lessons = {
        lesson.slug: lesson
        for lesson in Lesson.objects.published()
        .filter(course=course, slug__in=slugs)
        .select_related("module")
    }
    findings = []
    for item in attempt.findings:
        lesson = lessons.get(item.get("lesson") or "")
        if lesson is not None:
            lesson.course = course
        findings.append(
            Finding(
                id=item.get("id", ""),
                kind=item.get("kind", ""),
                t=int(item.get("t") or 0),
                debrief=item.get("debrief", ""),
                lesson_title=lesson.title if lesson else "",
                lesson_url=lesson.get_absolute_url() if lesson else "",
            )
        )
    passed = bool(attempt.passed)
    # The answer key (the expected path, the algorithm naming the rhythm, its
    # sources) is built for a passed attempt only: the case is the same on a retake.
    answers = {}
    if passed:
        answers = {
            "expected": [
                TimelineRow(t=row["t"], text=row["text"], note=row.get("note", ""))
                for row in definition.expected()
            ],
            "algorithm": score.get("algorithm", ""),
            "sources": list(score.get("sources", [])),
        }
    return Debrief(
        attempt=attempt,
        case=attempt.case,
        passed=passed,
        ending=ENDINGS.get(attempt.ended_by, ""),
        findings=findings,
        yours=[
            TimelineRow(t=row["t"], text=row["text"])
            for row in score.get("timeline", [])
        ],
        cpr_fraction=attempt.cpr_fraction,
        **answers,
    )


def case_attempt_history(*, user, case: Case) -> list[CaseAttempt]:
    """The learner's attempts of a case, newest first (one query)."""
    return list(
        CaseAttempt.objects.filter(user=user, case=case)
        .only(
            "pk",
            "status",
            "started_at",
            "finished_at",
            "passed",
            "sim_seconds",
            "ended_by",
            "case_id",
        )
        .order_by("-started_at", "-pk")
    )
