"""Case simulations: the definitions (Case, CaseRules) kept apart from the learner's
record of playing them (CaseVersion, CaseAttempt, CaseEvent).

A case is a state machine written as a file (`content/<course>/cases/<slug>.yaml`,
docs/CONTENT_FORMAT.md "Case simulations") and played by the pure engine
(`cases/engine/`): the server holds the simulated clock and the referee, the page
only shows what the engine's view exposes and posts actions.

An attempt plays one frozen version of its case: the first start of a definition
stores it as a CaseVersion (keyed by the engine's digest), so editing the case later
never changes an attempt in progress, its score or its debrief. The engine's whole
state is one JSON column of the attempt, so an action costs the same few queries
whatever the case length; what happened is appended as CaseEvent rows (the log the
learner reads and the debrief replays). Attempts and their versions are evidence and
are never cascaded away.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from courses.models import Course, SyncedContent


class Toolkit(models.TextChoices):
    """Which action groups a case offers (cases.engine.vocabulary)."""

    LAY = "lay", "Lay rescuer"
    BLS = "bls", "BLS provider"
    ACLS = "acls", "ACLS provider"


class CaseQuerySet(models.QuerySet["Case"]):
    def active(self) -> CaseQuerySet:
        return self.filter(is_active=True)


class Case(SyncedContent):
    """One case of a course, as the content file defines it.

    The columns beside `definition` are copies of its top-level keys that lists,
    the admin and the course's requirements query (title, order, toolkit, briefing,
    patient, algorithm); `definition` is the whole validated file, which the engine
    plays. `is_required` comes from the course's front matter (`cases: [slug, ...]`):
    a required case must be passed before the final exam unlocks and again at
    completion; the others are practice. A case that left the files but was played
    is deactivated (kept as evidence, no longer offered or required).
    """

    CONTENT_FIELDS = (
        "title",
        "order",
        "toolkit",
        "summary",
        "patient",
        "algorithm",
        "is_required",
        "is_active",
        "definition",
    )

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="cases")
    slug = models.SlugField(
        help_text="The file's name, stable within the course; it names the scene, "
        "never the rhythm or the answer (it is shown in URLs)."
    )
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    toolkit = models.CharField(max_length=8, choices=Toolkit)
    summary = models.TextField("briefing", help_text="Shown before starting.")
    patient = models.CharField(max_length=300, blank=True)
    # Shown in the debrief only: naming it before would give the answer away.
    algorithm = models.CharField(max_length=300, blank=True)
    is_required = models.BooleanField(
        "required",
        default=False,
        help_text="Must be passed before the final exam unlocks (course front "
        "matter `cases`).",
    )
    is_active = models.BooleanField("active", default=True)
    definition = models.JSONField(
        help_text="The whole case file as validated by the engine."
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["course", "order", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="case_slug_unique")
        ]

    def __str__(self) -> str:
        return f"{self.course.code} · {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:briefing", args=[self.course.slug, self.slug])


class CaseRules(SyncedContent):
    """A course's `cases/rules.yaml`: which lesson teaches each generic rule of the
    engine (cases.engine.rules) that can fire with its toolkits, so every finding
    of the debrief links to a lesson."""

    CONTENT_FIELDS = ("lessons",)

    course = models.OneToOneField(
        Course, on_delete=models.CASCADE, related_name="case_rules"
    )
    # {rule id: lesson slug of this course}
    lessons = models.JSONField(default=dict)

    class Meta:
        verbose_name = "case rules"
        verbose_name_plural = "case rules"

    def __str__(self) -> str:
        return f"{self.course.code} · case rules"


class CaseVersion(models.Model):
    """A definition of a case as it was first played: attempts refer to it, so a
    later edit of the case never changes what an attempt plays, scores or
    debriefs. Created on the first start of each definition (`digest`, the
    engine's SHA-256 of it) and shared by every attempt of that definition."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="versions")
    digest = models.CharField(max_length=64)
    definition = models.JSONField()
    # The course's rule -> lesson map when the version was made: the debrief of a
    # generic rule's finding links to the lesson named then.
    rule_lessons = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "digest"], name="case_version_digest_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} @ {self.digest[:12]}"


class CaseAttempt(models.Model):
    """A learner's play of one case version, from start to its end and score.

    `state` is the engine's whole state (clock, what was done and when, pending
    requirements): read and written once per action. At the end the score is
    stored beside it: passed, each finding (missed requirement, critical error,
    deviation; with its debrief line, lesson and simulated time), the CPR fraction,
    and the simulated seconds to the first shock and first epinephrine (for the
    staff's statistics, without reading every state). `event_count` is the number
    of CaseEvent rows: the page posts it back (`expected_seq`) so a double submit
    or a stale tab is recognised without counting rows.
    """

    class Status(models.TextChoices):
        OPEN = "open", "In progress"
        FINISHED = "finished", "Finished"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_attempts"
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attempts")
    version = models.ForeignKey(
        CaseVersion, on_delete=models.PROTECT, related_name="attempts"
    )
    enrollment = models.ForeignKey(
        "courses.Enrollment", on_delete=models.PROTECT, related_name="case_attempts"
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.OPEN)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.JSONField()
    event_count = models.PositiveIntegerField(default=0)
    sim_seconds = models.PositiveIntegerField(
        "simulated seconds", default=0, help_text="The case's clock."
    )
    # How it ended (cases.engine.engine.ENDED_BY): the end state's kind (rosc,
    # transfer, death, recovered), "handoff", "terminate", "time_limit", or
    # "abandoned" by the learner.
    ended_by = models.CharField(max_length=32, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    findings = models.JSONField(default=list, blank=True)
    cpr_fraction = models.FloatField(
        null=True, blank=True, help_text="Share of pulseless time with compressions."
    )
    first_shock_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_epinephrine_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # Pacing and "passed this case?" ask by learner and case.
            models.Index(fields=["user", "case"], name="case_attempt_user_case_idx"),
            # The admin lists attempts newest first.
            models.Index(fields=["-started_at", "-id"], name="case_attempt_recent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "case"],
                condition=Q(status="open"),
                name="case_attempt_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status="open", finished_at=None, passed=None)
                | Q(status="finished", finished_at__isnull=False, passed__isnull=False),
                name="case_attempt_finished_is_scored",
            ),
        ]

    def __str__(self) -> str:
        return f"Case attempt {self.pk} · {self.case}"

    def get_absolute_url(self) -> str:
        if self.is_open:
            return reverse("cases:play", args=[self.pk])
        return reverse("cases:debrief", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CaseEvent(models.Model):
    """One line of an attempt's log, in order (`seq` from 0): the simulated time,
    what kind of line it is (the learner's action, a finding, the narrative of a
    new state, a refusal, the end), its text as the learner read it, and the action
    (code and parameters) that produced it. Append-only: bulk-inserted by each
    action, never changed."""

    attempt = models.ForeignKey(
        CaseAttempt, on_delete=models.CASCADE, related_name="events"
    )
    seq = models.PositiveIntegerField()
    t = models.PositiveIntegerField("simulated second")
    kind = models.CharField(max_length=32)
    text = models.TextField()
    code = models.CharField("action", max_length=32, blank=True)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["attempt", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "seq"], name="case_event_seq_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.seq} {self.kind}"
