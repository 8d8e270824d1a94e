"""Exams: the definitions (Exam, Question, Choice) kept apart from the learner's record
of taking them (Attempt, AttemptQuestion).

An Attempt stores exactly what was presented (question order, choice order, each choice
under a per-attempt key) and snapshots which key is correct, so grading never looks at
the live bank: editing a question after an attempt started cannot change its grade.
Attempts are evidence and are never cascaded away.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core import pacing
from courses.markdown import render_markdown
from courses.models import Course, Lesson, Module, SyncedContent

# The wait before the next start after the 3rd, 4th, 5th... failure of an exam in a
# row (minutes; the last repeats); the schedule is shared with case simulations.
DEFAULT_COOLDOWN_MINUTES = pacing.DEFAULT_COOLDOWN_MINUTES
COOLDOWN_MAX_MINUTES = 7 * 24 * 60
COOLDOWN_MAX_STEPS = 10


def default_cooldown_minutes() -> list[int]:
    return list(DEFAULT_COOLDOWN_MINUTES)


def cooldown_problem(value) -> str | None:
    """What is wrong with a cool-down schedule, or None. One rule for the content
    reader and the model's validator."""
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= COOLDOWN_MAX_STEPS
        or not all(
            isinstance(v, int)
            and not isinstance(v, bool)
            and 1 <= v <= COOLDOWN_MAX_MINUTES
            for v in value
        )
    ):
        return (
            f"must be a list of 1 to {COOLDOWN_MAX_STEPS} whole numbers of minutes "
            f"from 1 to {COOLDOWN_MAX_MINUTES}, e.g. [15, 60, 240]"
        )
    if any(later < earlier for earlier, later in itertools.pairwise(value)):
        return "must not get shorter from one failure to the next, e.g. [15, 60, 240]"
    return None


def enemy_map(lists: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Each question's enemies (keys) from `lists`, {key: the keys its own list
    names}: the relation is symmetric, so a pair listed on either side (or both)
    counts for both. Keys that are not in `lists` (another bank, a question no longer
    drawn) and a question naming itself are left out. One rule for the content
    reader, the draw and the admin."""
    enemies: dict[str, set[str]] = {key: set() for key in lists}
    for key, named in lists.items():
        for other in named or ():
            if other in enemies and other != key:
                enemies[key].add(other)
                enemies[other].add(key)
    return enemies


def validate_cooldown_minutes(value) -> None:
    problem = cooldown_problem(value)
    if problem:
        raise ValidationError(f"The cool-down schedule {problem}.", code="invalid")


class Exam(SyncedContent):
    CONTENT_FIELDS = (
        "title",
        "pass_mark",
        "draw_size",
        "time_limit_minutes",
        "shuffle",
        "blueprint",
        "cooldown_minutes",
    )

    class Kind(models.TextChoices):
        MODULE = "module", "Module exam"
        FINAL = "final", "Final exam"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="exams")
    module = models.OneToOneField(
        Module, on_delete=models.CASCADE, null=True, blank=True, related_name="exam"
    )
    kind = models.CharField(max_length=16, choices=Kind)
    title = models.CharField(max_length=200)
    pass_mark = models.PositiveSmallIntegerField(
        "pass mark (%)", validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    draw_size = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Questions per attempt; empty for all."
    )
    time_limit_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    # Choices are shuffled whatever this says: banks tend to list the correct one first.
    # An exam whose bank left the content files but that learners have taken: kept as
    # evidence, no longer required for completion or offered.
    is_active = models.BooleanField("active", default=True)
    shuffle = models.BooleanField(
        "shuffle questions",
        default=True,
        help_text="Present the drawn questions in random order. Choices are always "
        "shuffled.",
    )
    # How many questions each attempt draws per topic (or, in a final, per module):
    # {"by": "topic" | "module", "quotas": {name: count}}; {} draws `draw_size` from
    # the whole bank. Written by sync_content (docs/CONTENT_FORMAT.md, "Blueprints");
    # with a blueprint, draw_size is its total.
    blueprint = models.JSONField(
        default=dict,
        blank=True,
        help_text="Questions drawn per topic or module; set in the content files.",
    )
    cooldown_minutes = models.JSONField(
        "cool-downs (minutes)",
        default=default_cooldown_minutes,
        validators=[validate_cooldown_minutes],
        help_text="The wait before the next start after the 3rd, 4th, 5th... failed "
        "attempt in a row, in minutes; the last repeats. E.g. [15, 60, 240].",
    )

    class Meta:
        ordering = ["course", "kind", "module__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["course"], condition=Q(kind="final"), name="exam_one_final"
            ),
            models.CheckConstraint(
                condition=(Q(kind="final") & Q(module__isnull=True))
                | (Q(kind="module") & Q(module__isnull=False)),
                name="exam_kind_matches_module",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1, pass_mark__lte=100),
                name="exam_pass_mark_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.code} · {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("courses:home", args=[self.course.slug])

    @property
    def blueprint_by(self) -> str:
        """What the blueprint's quotas name: "topic", "module" or "" (no blueprint)."""
        return (self.blueprint or {}).get("by", "")

    @property
    def blueprint_quotas(self) -> dict[str, int]:
        return dict((self.blueprint or {}).get("quotas", {}))


class Question(SyncedContent):
    CONTENT_FIELDS = (
        "text_md",
        "image",
        "image_alt",
        "explanation_md",
        "topic",
        "review_lesson_id",
        "is_active",
        "order",
        "choice_signature",
        "key_point",
        "vignette",
        "enemies",
    )

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        max_length=100, unique=True, help_text="Stable content id from the bank file."
    )
    text_md = models.TextField("question (Markdown)")
    text_html = models.TextField(editable=False, blank=True)
    image = models.CharField(
        max_length=200,
        blank=True,
        help_text="Course image path, e.g. images/ecg/vf.svg",
    )
    # ECG strips need a full description of the rhythm for screen reader users.
    image_alt = models.CharField(max_length=1000, blank=True)
    explanation_md = models.TextField("explanation (Markdown)")
    explanation_html = models.TextField(editable=False, blank=True)
    topic = models.CharField(max_length=120)
    review_lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField("active", default=True)
    order = models.PositiveSmallIntegerField(default=0)
    # Which bullet of the review lesson's "## Key points" list the item examines
    # (1-based); empty for questions written before the field or in the admin.
    key_point = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Number of the bullet in the review lesson's Key points list that "
        "this question examines (1 = first).",
    )
    vignette = models.BooleanField(
        default=False,
        help_text="The stem is a clinical vignette: a person in a situation, with "
        "findings, asking what to do or what is happening.",
    )
    # Keys of questions of the same exam never drawn in one attempt with this one
    # (one gives the other's answer away), as the bank file lists them. The relation
    # is symmetric: `enemy_map` reads both sides.
    enemies = models.JSONField(
        default=list,
        blank=True,
        help_text="Questions of this exam that must never appear in the same attempt "
        "as this one (it gives their answer away, or they give its).",
    )

    class Meta:
        ordering = ["exam", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(image="") | ~Q(image_alt=""), name="question_image_has_alt"
            ),
            models.CheckConstraint(
                condition=Q(key_point__isnull=True) | Q(key_point__gte=1),
                name="question_key_point_from_one",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def choice_signature(self) -> list[list]:
        """The choices as [text, correct] in order: part of the content fingerprint.

        Reads prefetched choices when the queryset has them (the admin's list does:
        no query per question), else one query."""
        if self.pk is None:
            return []
        choices = sorted(self.choices.all(), key=lambda c: (c.order, c.pk))
        return [[choice.text, choice.is_correct] for choice in choices]

    def save(self, *args, **kwargs) -> None:
        slug = self.exam.course.slug
        self.text_html = render_markdown(self.text_md, course_slug=slug).html
        self.explanation_html = render_markdown(
            self.explanation_md, course_slug=slug
        ).html
        super().save(*args, **kwargs)


class Choice(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices"
    )
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField("correct", default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(is_correct=True),
                name="choice_one_correct_per_question",
            ),
            models.UniqueConstraint(
                fields=["question", "text"], name="choice_text_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class Attempt(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "In progress"
        SUBMITTED = "submitted", "Submitted"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts"
    )
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts")
    enrollment = models.ForeignKey(
        "courses.Enrollment", on_delete=models.PROTECT, related_name="attempts"
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.OPEN)
    started_at = models.DateTimeField()
    # Answers saved after this do not count (the time limit, enforced by the server).
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    pass_mark = models.PositiveSmallIntegerField(help_text="Snapshot at start.")
    question_count = models.PositiveSmallIntegerField(default=0)
    correct_count = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    # Started before the module's lessons were done, by a learner renewing the
    # course (exams.selectors.progress): a pass marks the module's lessons done, a
    # fail means studying them first.
    is_test_out = models.BooleanField("test-out", default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # History, "passed this exam?" and the draw's "already shown" all ask
            # by learner and exam.
            models.Index(fields=["user", "exam"], name="attempt_user_exam_idx"),
            # The admin lists attempts newest first, of every exam or of one.
            models.Index(fields=["-started_at", "-id"], name="attempt_recent_idx"),
            models.Index(
                fields=["exam", "-started_at", "-id"], name="attempt_exam_recent_idx"
            ),
            # The expired-attempt sweeper reads only open attempts, every few
            # minutes, by deadline or start (exams.selectors.attempts_expired).
            models.Index(
                fields=["deadline", "started_at"],
                condition=Q(status="open"),
                name="attempt_open_by_time_idx",
            ),
            # The statistics page counts an exam's attempts in progress.
            models.Index(
                fields=["exam"],
                condition=Q(status="open"),
                name="attempt_open_by_exam_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exam"],
                condition=Q(status="open"),
                name="attempt_one_open_per_exam",
            ),
            models.CheckConstraint(
                condition=Q(
                    status="open", submitted_at__isnull=True, passed__isnull=True
                )
                | Q(
                    status="submitted", submitted_at__isnull=False, passed__isnull=False
                ),
                name="attempt_submitted_is_graded",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.pk} · {self.exam}"

    def get_absolute_url(self) -> str:
        return reverse("exams:attempt", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


def answer_field_name(position: int) -> str:
    """The form field a presented question is answered in: its position in the
    attempt (`q3`), never its id."""
    return f"q{position}"


# Positions are small (an exam has tens of questions; the column holds 32767).
MAX_POSITION_DIGITS = 5


def answer_field_position(name: str) -> int | None:
    """The position `answer_field_name` wrote into `name`, or None for any other
    name ("q03", "q", "action", a number no position can be)."""
    digits = name[1:]
    if (
        name[:1] != "q"
        or not digits.isascii()
        or not digits.isdigit()
        or len(digits) > MAX_POSITION_DIGITS
    ):
        return None
    position = int(digits)
    return position if answer_field_name(position) == name else None


class AttemptQuestion(models.Model):
    """One presented question of an attempt, with its choices as presented.

    `choices` is a list of {"key", "text", "correct", "choice"} in display order. Keys
    are random per attempt, so a posted answer reveals nothing and database ids never
    reach the page; `correct` and `choice` (the Choice id, for statistics) stay on the
    server. Grading reads only this snapshot. The topic and explanation are snapshots
    too, so the result explains the question as it was asked.
    """

    # No index of its own: both unique constraints below lead with it, and every
    # index is one more write at each autosave (issue 19).
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    text_html = models.TextField()
    image = models.CharField(max_length=200, blank=True)
    image_alt = models.CharField(max_length=1000, blank=True)
    choices = models.JSONField()
    topic = models.CharField(max_length=120, blank=True)
    explanation_html = models.TextField(blank=True)
    selected_key = models.CharField(max_length=16, blank=True)
    # The bank's choice behind selected_key, for "how often is each choice picked";
    # cleared if the bank replaces its choices, never used for grading.
    selected_choice = models.ForeignKey(
        Choice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="attempt_question_position"
            ),
            models.UniqueConstraint(
                fields=["attempt", "question"], name="attempt_question_once"
            ),
            # Grading counts only answers saved by the deadline (plus the grace):
            # every answer must say when it was saved.
            models.CheckConstraint(
                condition=Q(selected_key="") | Q(answered_at__isnull=False),
                name="attempt_question_answer_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"

    @property
    def field_name(self) -> str:
        """The form field this question is answered in (its position, not its id)."""
        return answer_field_name(self.position)

    @property
    def keys(self) -> list[str]:
        return [choice["key"] for choice in self.choices]

    @property
    def correct_key(self) -> str:
        return next(choice["key"] for choice in self.choices if choice["correct"])

    def choice_for(self, key: str) -> dict | None:
        return next((choice for choice in self.choices if choice["key"] == key), None)

    @property
    def review_choices(self) -> list[dict]:
        """The choices as presented with `correct` and `selected`: for the review
        shown once the exam is passed, never for the page that asks the question."""
        return [
            {
                "text": choice["text"],
                "correct": choice["correct"],
                "selected": choice["key"] == self.selected_key,
            }
            for choice in self.choices
        ]


class CooldownClearance(models.Model):
    """A staff member lifted the cool-down that followed this failed attempt: the
    learner may start again at once (the retake's lesson rule still holds, and the
    next failure continues the schedule). Recorded in the audit trail too."""

    attempt = models.OneToOneField(
        Attempt, on_delete=models.PROTECT, related_name="cooldown_clearance"
    )
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cleared_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Cool-down after attempt {self.attempt_id} cleared"


# --- Statistics counters ----------------------------------------------------------
#
# What the authors' statistics page (exams.selectors.statistics) shows, kept up to
# date in the grading transaction (exams.services.tallies) so the page reads a few
# small rows whatever the number of attempts. Each counts submitted attempts only;
# the command `recount_exam_statistics` rebuilds them from the attempts.


class ExamTally(models.Model):
    """Per exam: its submitted attempts and learners, and the sums the averages and
    KR-20 reliability are computed from. Every grading of the exam updates this row
    first, so gradings of one exam count one after the other."""

    exam = models.OneToOneField(
        Exam, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    learners = models.PositiveIntegerField(default=0)
    learners_passed = models.PositiveIntegerField(default=0)
    # Over learners who passed: their submitted attempts up to the first pass.
    tries_to_pass = models.PositiveBigIntegerField(default=0)
    score_sum = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    # Sum over attempts of correct_count squared (KR-20's score variance).
    correct_squares = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Statistics of exam {self.exam_id}"


class QuestionTally(models.Model):
    """Per question: how often submitted attempts presented it, got it right, left it
    unanswered, and the sums its point-biserial discrimination is computed from (x:
    right or not; y: the rest score, (correct_count - x) / (question_count - 1), over
    attempts of more than one question)."""

    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, primary_key=True, related_name="tally"
    )
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    answers = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    unanswered = models.PositiveIntegerField(default=0)
    n = models.PositiveIntegerField(default=0)
    sum_x = models.PositiveIntegerField(default=0)
    sum_y = models.FloatField(default=0.0)
    sum_yy = models.FloatField(default=0.0)
    sum_xy = models.FloatField(default=0.0)
    # Sum of the presenting attempts' correct_count (KR-20's centred scores).
    correct_sum = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Statistics of question {self.question_id}"


class ChoiceTally(models.Model):
    """Per choice of the bank: how often a submitted attempt's answer picked it (gone
    with the choice, as the attempts' link to it is)."""

    choice = models.OneToOneField(
        Choice, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    picked = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Statistics of choice {self.choice_id}"


class QuestionPairTally(models.Model):
    """Per pair of questions (first < second by id): how many submitted attempts
    presented both. KR-20 over blueprint draws centres each attempt's score on the
    facilities of the questions it drew, and the variance of that needs how often
    each two questions were drawn together."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    together = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["first", "second"], name="question_pair_tally_once"
            ),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")),
                name="question_pair_tally_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Questions {self.first_id} and {self.second_id} together"
