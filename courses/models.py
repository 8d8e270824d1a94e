"""Courses: the curriculum (Course, Module, Lesson, images, bundles) and each learner's
record of studying it (Enrollment, LessonView, LessonProgress).

Curriculum rows come from `content/` through `sync_content` and are edited in the admin.
Each carries `slug` as its stable content identity (row ids never change on re-sync, so
progress survives edits) and `synced_hash`, the fingerprint of what the last sync wrote:
a row whose current fingerprint differs was edited in the admin since.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.urls import reverse_cached

from .images import IMAGE_PATH_MAX_LENGTH, IMAGE_PATH_REGEX, validate_image_path
from .markdown import render_markdown


class SyncedContent(models.Model):
    """A row of curriculum that `sync_content` owns together with the admin."""

    # Field names whose values make up the content fingerprint; set by subclasses.
    CONTENT_FIELDS: tuple[str, ...] = ()

    synced_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def fingerprint(cls, values: dict) -> str:
        """Fingerprint of the CONTENT_FIELDS values in `values`."""
        data = {name: _jsonable(values[name]) for name in cls.CONTENT_FIELDS}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def content_fingerprint(self) -> str:
        return self.fingerprint(
            {name: getattr(self, name) for name in self.CONTENT_FIELDS}
        )

    @property
    def edited_since_sync(self) -> bool:
        return bool(self.synced_hash) and self.synced_hash != self.content_fingerprint()


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, float):
        return str(Decimal(str(value)).normalize())
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


class CourseQuerySet(models.QuerySet["Course"]):
    def published(self) -> CourseQuerySet:
        return self.filter(is_published=True)


class Course(SyncedContent):
    CONTENT_FIELDS = (
        "title",
        "code",
        "summary",
        "audience",
        "recommended_for",
        "hours",
        "validity_months",
        "order",
        "guidelines",
        "accreditation",
        "is_published",
        "description_md",
        "prerequisite_slugs",
    )

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    code = models.CharField(
        max_length=8, unique=True, help_text="Short code printed on certificates."
    )
    summary = models.CharField(max_length=300)
    audience = models.CharField(max_length=300, blank=True)
    # Profession keys (accounts.Profession) this course is the recommendation for.
    recommended_for = models.JSONField(default=list, blank=True)
    hours = models.DecimalField(
        "CE hours", max_digits=4, decimal_places=1, validators=[MinValueValidator(0)]
    )
    validity_months = models.PositiveSmallIntegerField(default=24)
    order = models.PositiveSmallIntegerField(default=0)
    guidelines = models.CharField(max_length=200, blank=True)
    # What the course is accredited for, or what it is not: printed on the certificate
    # and the verify page as written (course front matter `accreditation`).
    accreditation = models.CharField(max_length=600, blank=True)
    is_published = models.BooleanField("published", default=False)
    description_md = models.TextField("description (Markdown)", blank=True)
    description_html = models.TextField(editable=False, blank=True)
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="required_by",
        blank=True,
        help_text="Courses whose current certificate is required to enrol.",
    )

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Rendering belongs to saving: pages serve the stored, sanitized HTML.
        self.description_html = render_markdown(
            self.description_md, course_slug=self.slug
        ).html
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse_cached("courses:detail", self.slug)

    @property
    def prerequisite_slugs(self) -> list[str]:
        """Part of the content fingerprint. Reads prefetched prerequisites when the
        queryset has them (the admin's list does), else one query."""
        if self.pk is None:
            return []
        return sorted(p.slug for p in self.prerequisites.all())


class Module(SyncedContent):
    CONTENT_FIELDS = ("title", "order", "summary_md")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    summary_md = models.TextField("summary (Markdown)", blank=True)
    summary_html = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["course", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="module_slug_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course.code} · {self.title}"

    def save(self, *args, **kwargs) -> None:
        self.summary_html = render_markdown(
            self.summary_md, course_slug=self.course.slug
        ).html
        super().save(*args, **kwargs)


class LessonQuerySet(models.QuerySet["Lesson"]):
    def published(self) -> LessonQuerySet:
        return self.filter(is_published=True)

    def in_order(self) -> LessonQuerySet:
        return self.order_by("module__order", "module_id", "order", "id")


class Lesson(SyncedContent):
    CONTENT_FIELDS = (
        "title",
        "minutes",
        "order",
        "is_published",
        "body_md",
        "module_id",
    )

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(help_text="Stable identity within the course.")
    title = models.CharField(max_length=200)
    minutes = models.PositiveSmallIntegerField(default=10)
    order = models.PositiveSmallIntegerField(default=0)
    is_published = models.BooleanField("published", default=True)
    body_md = models.TextField("body (Markdown)")
    body_html = models.TextField(editable=False, blank=True)
    toc_html = models.TextField(editable=False, blank=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["module__order", "order", "id"]
        constraints = [
            # Exam questions point at lessons by slug, so slugs are unique per course.
            models.UniqueConstraint(
                fields=["course", "slug"], name="lesson_slug_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.course_id = self.module.course_id
        rendered = render_markdown(self.body_md, course_slug=self.module.course.slug)
        self.body_html, self.toc_html = rendered.html, rendered.toc_html
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse_cached(
            "courses:lesson", self.course.slug, self.module.slug, self.slug
        )


class CourseImage(SyncedContent):
    """A figure or ECG strip a lesson or question shows; served by the course."""

    CONTENT_FIELDS = ("sha256",)

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="images")
    # Builds URLs and export file names: `images/` plus plain segments, nothing else.
    path = models.CharField(
        max_length=IMAGE_PATH_MAX_LENGTH,
        validators=[validate_image_path],
        help_text="e.g. images/ecg/asystole.svg",
    )
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "path"], name="image_path_unique"
            ),
            models.CheckConstraint(
                condition=Q(path__regex=IMAGE_PATH_REGEX),
                name="image_path_safe",
                violation_error_message="Image paths are images/ plus plain segments.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.slug}/{self.path}"


class Bundle(SyncedContent):
    """Several courses taken in order, e.g. BLS then ACLS."""

    CONTENT_FIELDS = ("title", "summary", "order", "is_published")

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)
    is_published = models.BooleanField("published", default=False)
    courses = models.ManyToManyField(
        Course, through="BundleCourse", related_name="bundles"
    )

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title


class BundleCourse(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items")
    course = models.ForeignKey(Course, on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bundle", "course"], name="bundle_course_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bundle} · {self.course}"


class Enrollment(models.Model):
    """A learner's pass through a course. Completed ones are kept as history."""

    class Status(models.TextChoices):
        ACTIVE = "active", "In progress"
        WAITING = "waiting", "Waiting for prerequisite"
        COMPLETED = "completed", "Completed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="enrollments"
    )
    bundle = models.ForeignKey(
        Bundle, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Where "Resume" takes the learner: the lesson they last opened.
    last_lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A lesson last opened at or after this moment is opened "since" every failure
    # recorded in this enrollment (an exam's or a case's, whose pacing asks for the
    # lessons it names to be opened again after it), so opening it again need not be
    # written (courses.services.lesson_open): its enrollment time, moved on by each
    # failure (enrollment_failure_record). Null (every opening written) only for
    # rows written outside the ORM; those from before it was kept were given the
    # mark their history implies (exams migration 0013).
    lesson_views_current_from = models.DateTimeField(
        null=True, blank=True, default=timezone.now, editable=False
    )

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(status__in=["active", "waiting"]),
                name="enrollment_one_open_per_course",
                violation_error_message="You are already enrolled in this course.",
            ),
            models.CheckConstraint(
                condition=Q(status="completed", completed_at__isnull=False)
                | (~Q(status="completed") & Q(completed_at__isnull=True)),
                name="enrollment_completed_has_date",
            ),
        ]
        indexes = [
            # The admin lists enrollments newest first.
            models.Index(fields=["-enrolled_at", "-id"], name="enrollment_recent_idx"),
            # The certificate sweeper's window (completions of the last two weeks
            # without a certificate): completed enrollments by completion time.
            models.Index(
                fields=["completed_at"],
                condition=Q(status="completed"),
                name="enrollment_completed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course.code} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.WAITING)

    @property
    def waits_to_complete(self) -> bool:
        """Waiting after it was active: every completion rule was met (the final
        passed) while a prerequisite was no longer current, and it completes as soon
        as one is held. `enrollment_complete` is the only way an active enrollment
        goes back to waiting (it keeps `activated_at`); one enrolled through a bundle
        waits before it was ever active."""
        return self.status == self.Status.WAITING and self.activated_at is not None


class LessonProgress(models.Model):
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson"], name="progress_once_per_lesson"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} · {self.lesson_id}"


class LessonView(models.Model):
    """That the learner opened a lesson's page in this enrollment, and when last in a
    way that counts (services.lesson_open: an opening since the enrollment's last
    failure is not written again).

    Recorded by the server on the page's GET (`lesson_open`), never posted by the
    browser: "mark complete" is accepted only for a lesson opened here, and a failed
    exam's retake opens once the lessons it names were opened after it.
    """

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="lesson_views"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    first_opened_at = models.DateTimeField()
    last_opened_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson"], name="lesson_view_once_per_lesson"
            ),
            models.CheckConstraint(
                condition=Q(last_opened_at__gte=models.F("first_opened_at")),
                name="lesson_view_last_after_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} · {self.lesson_id} opened"


class InfoPageQuerySet(models.QuerySet["InfoPage"]):
    def published(self) -> InfoPageQuerySet:
        return self.filter(is_published=True)


class InfoPage(SyncedContent):
    """A page about Lifeline itself (about, accreditation, privacy, terms, contact):
    `content/pages/<slug>.md`, synced like lessons and linked from the footer."""

    CONTENT_FIELDS = ("title", "summary", "order", "is_published", "body_md")

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(
        max_length=300, blank=True, help_text="One sentence for search engines."
    )
    order = models.PositiveSmallIntegerField(default=0)
    is_published = models.BooleanField("published", default=False)
    body_md = models.TextField("body (Markdown)")
    body_html = models.TextField(editable=False, blank=True)
    toc_html = models.TextField(editable=False, blank=True)

    objects = InfoPageQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        verbose_name = "information page"

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # No course: a page has no images (the reader refuses them).
        rendered = render_markdown(self.body_md, course_slug="", known_images=())
        self.body_html, self.toc_html = rendered.html, rendered.toc_html
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        if self.slug == "about":
            return reverse("courses:about")
        return reverse("courses:info_page", args=[self.slug])
