"""Organizations: employers and schools whose people must hold current credentials.

- Organization: a hospital, an EMS agency, a school; created by site staff.
- JobRole: the organization's own labels for what its people do ("Nurse",
  "Clerical"); requirements can apply to one of them.
- Membership: a person in an organization, with a role there (administrator,
  instructor or member), a job role, and their consent to share certificate
  status. One active membership per person and organization; leaving keeps the row
  (`left_at`) as history.
- Invitation: an e-mail address invited to join, with a token (stored only as its
  SHA-256) that expires; accepted or revoked once. One open invitation per address
  and organization.
- JoinLink: a shareable link (token stored hashed) anyone signed in can join
  through, with the job role it gives; deactivated or expiring.
- ApiToken: a key the organization's own systems call the API with
  (`/api/v1/organizations/<slug>/...`), created and revoked by its administrators;
  stored only as its SHA-256 with a short prefix to tell keys apart, shown once.
- Requirement: a course the organization requires, of everyone or of one job role,
  due within N days of joining.
- WeeklyDigest: the weekly e-mail to an organization's administrators, claimed by
  this row (unique per organization and ISO week) before it is sent, with the
  snapshot of compliance the next digest compares against.
- SeatGrant and Seat: prepaid places in a course or a bundle that site staff issued
  to an organization (no payment gateway: staff record what was bought), one row per
  seat.
- SeatAssignment: a seat given by an administrator to one member, with its code
  (stored only as its SHA-256). Revocable until redeemed; redeemed once, by that
  member, which enrols them. One live assignment per seat.
- SkillItem: an item of a course's hands-on skills checklist, from
  content/<course>/skills.yaml (written by sync_content; the admin's edits are sync
  conflicts like any curriculum row's).
- SkillsCheck: an instructor's record of a member's hands-on skills check in a
  course they completed online: date, location, each item passed or not (a copy of
  the checklist as checked), the overall result, a note and the instructor's
  attestation. Revoked with a reason, never deleted. A passed one that stands is
  attached to the certificate of that enrollment (certificates.attestations).

What an organization may see of a member is decided in selectors.py: nothing of
their certificates unless they consented (`consent_given_at`), and never their exam
attempts. Who did what is recorded in the audit trail by the services.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from courses.models import SyncedContent

# Seats site staff may issue to an organization at once (the admin's form).
SEATS_PER_GRANT_MAX = 1000


def recorded_person() -> models.ForeignKey:
    """Who did something (invited, created, revoked...): kept while their account
    exists, emptied (not cascaded) when it is deleted; no reverse accessor."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )


# Words the learner's pages use in /organizations/...: no organization may be one.
RESERVED_SLUGS = frozenset({"invitations", "join", "memberships", "seats"})


def validate_slug_free(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(f"“{value}” is reserved; choose another address.")


class Organization(models.Model):
    name = models.CharField(max_length=150)
    slug = models.SlugField(
        unique=True,
        validators=[validate_slug_free],
        help_text="Its address: /organizations/<slug>/",
    )
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(
        "contact e-mail", blank=True, help_text="Who Lifeline's staff talk to."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organizations:dashboard", args=[self.slug])


class JobRole(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="job_roles"
    )
    name = models.CharField(max_length=60, help_text='e.g. "Nurse", "Clerical".')

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("name"),
                name="job_role_name_unique_ci",
                violation_error_message="This organization has that job role already.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(left_at__isnull=True)

    def sharing(self) -> MembershipQuerySet:
        """Active members who consent to share their certificate status."""
        return self.active().filter(consent_given_at__isnull=False)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"
        INSTRUCTOR = "instructor", "Instructor"
        MEMBER = "member", "Member"

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role, default=Role.MEMBER)
    job_role = models.ForeignKey(
        JobRole,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    # Set while the member shares their certificate status with the organization;
    # withdrawing clears it and records when (`consent_withdrawn_at`).
    consent_given_at = models.DateTimeField(null=True, blank=True)
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=Q(left_at__isnull=True),
                name="membership_one_active",
                violation_error_message="Already a member of this organization.",
            ),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=F("joined_at")),
                name="membership_left_after_joining",
            ),
        ]
        indexes = [
            # The admin lists memberships by organization, then joining order.
            models.Index(
                fields=["organization", "joined_at", "id"],
                name="membership_org_joined_idx",
            ),
            models.Index(
                fields=["organization", "role"],
                condition=Q(left_at__isnull=True),
                name="membership_active_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.left_at is None

    @property
    def sharing(self) -> bool:
        return self.is_active and self.consent_given_at is not None


class Invitation(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invitations"
    )
    # Stored lower-case (accounts.User.email is too).
    email = models.EmailField("e-mail address")
    job_role = models.ForeignKey(
        JobRole, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # When the current token was sent; a renewal sends a new token.
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    invited_by = recorded_person()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = recorded_person()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = recorded_person()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
                violation_error_message="This address has an open invitation already.",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("sent_at")),
                name="invitation_expires_after_sending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    def is_usable(self, now=None) -> bool:
        """Open and not expired: it can still be accepted."""
        return self.is_open and (now or timezone.now()) < self.expires_at

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "open" if self.is_usable() else "expired"


class JoinLink(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="join_links"
    )
    label = models.CharField(
        max_length=100, blank=True, help_text='Where it is shared, e.g. "ICU huddle".'
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    job_role = models.ForeignKey(
        JobRole, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField("active", default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = recorded_person()
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(deactivated_at__isnull=False),
                name="join_link_deactivated_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} join link {self.label or self.pk}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.is_active and (self.expires_at is None or now < self.expires_at)


# Every API token starts with this, so a leaked one is recognisable (secret
# scanners, logs) and a malformed one is refused without a query.
API_TOKEN_MARKER = "lifeline_org_"  # noqa: S105 - a label, not a secret
# Characters after the marker shown to tell an organization's tokens apart.
API_TOKEN_PREFIX_LENGTH = 8


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """An organization's API key. The key itself (API_TOKEN_MARKER + 256 random
    bits) is shown once to the administrator who created it; only its SHA-256
    (`token_hash`) and its first characters (`prefix`) are kept. Revoked, never
    deleted: the row says who created and revoked it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text='What uses it, e.g. "Staffing system".'
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=API_TOKEN_PREFIX_LENGTH, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = recorded_person()
    # Updated at most once a minute (services.api_token_touch).
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = recorded_person()

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("name"),
                condition=Q(revoked_at__isnull=True),
                name="api_token_name_unique_active",
                violation_error_message="An active token has this name already.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} API token {self.name} ({self.display})"

    @property
    def display(self) -> str:
        """How pages show it: the marker, its prefix and an ellipsis."""
        return f"{API_TOKEN_MARKER}{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Requirement(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="requirements"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="+"
    )
    # Empty: required of every member.
    job_role = models.ForeignKey(
        JobRole,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="requirements",
        help_text="Leave empty to require it of every member.",
    )
    due_within_days = models.PositiveSmallIntegerField(
        "due within (days of joining)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["course__order", "course__title", "job_role__name"]
        constraints = [
            # NULL job roles are distinct in a plain unique constraint: two partial
            # ones say "once for everyone, once per job role".
            models.UniqueConstraint(
                fields=["organization", "course"],
                condition=Q(job_role__isnull=True),
                name="requirement_once_for_everyone",
                violation_error_message="This course is already required of everyone.",
            ),
            models.UniqueConstraint(
                fields=["organization", "course", "job_role"],
                condition=Q(job_role__isnull=False),
                name="requirement_once_per_job_role",
                violation_error_message="This course is already required of that role.",
            ),
            models.CheckConstraint(
                condition=Q(due_within_days__gte=1),
                name="requirement_due_at_least_a_day",
            ),
        ]

    def __str__(self) -> str:
        who = self.job_role.name if self.job_role_id else "everyone"
        return f"{self.course} · {who}"


class WeeklyDigest(models.Model):
    """One organization's digest of one ISO week: claimed (this row, committed)
    before it is sent, then marked sent; never sent twice (see services)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="digests"
    )
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The mail server refused it for good (5xx) and its reply: not retried.
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)
    recipients = models.JSONField(default=list, blank=True)
    # Compliance when it was claimed: {"compliant": [membership ids], "current":
    # {membership id: [course ids]}, "expiring": {...}}. The next digest reports
    # what changed since the last one sent.
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-iso_year", "-iso_week"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "iso_year", "iso_week"],
                name="digest_once_per_week",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.iso_year}-W{self.iso_week:02d}"


class SeatGrant(models.Model):
    """Seats site staff issued to an organization for a course or a bundle: the
    record of what it bought (staff issue them in the admin; there is no payment
    here). Its seats are rows of Seat."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="seat_grants"
    )
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    bundle = models.ForeignKey(
        "courses.Bundle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(SEATS_PER_GRANT_MAX)]
    )
    note = models.CharField(
        max_length=200, blank=True, help_text='e.g. "Purchase order 2027-014".'
    )
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = recorded_person()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(course__isnull=False, bundle__isnull=True)
                | Q(course__isnull=True, bundle__isnull=False),
                name="seat_grant_course_or_bundle",
                violation_error_message="Seats are for a course or for a bundle.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="seat_grant_at_least_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product} · {self.organization}"

    @property
    def product(self):
        """The course or the bundle."""
        return self.course if self.course_id else self.bundle

    @property
    def product_key(self) -> str:
        """ "course:<id>" or "bundle:<id>": how forms name what a seat is for."""
        return seat_product_key(course_id=self.course_id, bundle_id=self.bundle_id)


def seat_product_key(*, course_id: int | None, bundle_id: int | None) -> str:
    return f"course:{course_id}" if course_id else f"bundle:{bundle_id}"


class Seat(models.Model):
    """One prepaid place. Free while it has no live assignment; used once an
    assignment of it is redeemed (then it never has another)."""

    grant = models.ForeignKey(SeatGrant, on_delete=models.PROTECT, related_name="seats")

    class Meta:
        ordering = ["grant", "id"]

    def __str__(self) -> str:
        return f"Seat {self.pk} of {self.grant}"


class SeatAssignmentQuerySet(models.QuerySet["SeatAssignment"]):
    def live(self) -> SeatAssignmentQuerySet:
        """Not revoked (waiting to be redeemed, or redeemed)."""
        return self.filter(revoked_at__isnull=True)

    def open(self) -> SeatAssignmentQuerySet:
        """Waiting to be redeemed: neither revoked nor redeemed."""
        return self.live().filter(redeemed_at__isnull=True)


class SeatAssignment(models.Model):
    """A seat given to one member, with its code. The administrator may revoke it
    until it is redeemed (the seat is free again; the code no longer works); the
    member it was given to redeems it once, which enrols them."""

    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="assignments")
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="seat_assignments"
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The code's last four characters, shown as "…W3HP" (organizations.codes).
    code_hint = models.CharField(max_length=4, editable=False)
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = recorded_person()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = recorded_person()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    # What the seat paid for: the enrollment(s) redeeming it created.
    enrollments = models.ManyToManyField(
        "courses.Enrollment", blank=True, related_name="+"
    )

    objects = SeatAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [
            # A seat is given to one member at a time; a revoked assignment frees it.
            models.UniqueConstraint(
                fields=["seat"],
                condition=Q(revoked_at__isnull=True),
                name="seat_one_live_assignment",
                violation_error_message="This seat is given to someone already.",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(redeemed_at__isnull=True),
                name="seat_assignment_revoked_or_redeemed",
            ),
        ]

    def __str__(self) -> str:
        return f"…{self.code_hint} → {self.membership.user}"

    @property
    def state(self) -> str:
        if self.redeemed_at:
            return "redeemed"
        return "revoked" if self.revoked_at else "assigned"


class SkillItem(SyncedContent):
    """One item of a course's hands-on skills checklist: what the instructor
    watches and the criterion it passes on (content/<course>/skills.yaml). A
    skills check keeps its own copy of the items as they were checked, so editing
    or removing an item never changes a recorded check."""

    CONTENT_FIELDS = ("title", "criterion", "lesson_slug", "order", "is_active")

    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="skill_items"
    )
    # Stable within the course (the file's `id`).
    key = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    criterion = models.CharField(max_length=500)
    # The lesson of the course that teaches it (optional).
    lesson_slug = models.SlugField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["course", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "key"],
                name="skill_item_key_unique_per_course",
                violation_error_message="This course has an item with that id.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.title}"


class SkillsCheckQuerySet(models.QuerySet["SkillsCheck"]):
    def standing(self) -> SkillsCheckQuerySet:
        """Not revoked."""
        return self.filter(revoked_at__isnull=True)

    def attached(self) -> SkillsCheckQuerySet:
        """Passed and not revoked: what the certificate states."""
        return self.standing().filter(passed=True)


class SkillsCheck(models.Model):
    """A member's hands-on skills check in a course, recorded by an instructor of
    their organization after the member completed the course online. The names it
    states (instructor, organization) are kept as they were when it was recorded."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="skills_checks"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="skills_checks"
    )
    # The completed online course it completes: its certificate states the check.
    enrollment = models.ForeignKey(
        "courses.Enrollment", on_delete=models.PROTECT, related_name="+"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="+"
    )
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    instructor_name = models.CharField(max_length=200)
    organization_name = models.CharField(max_length=150)
    checked_on = models.DateField()
    location = models.CharField(max_length=200)
    # The checklist as checked: [{"key", "title", "criterion", "passed"}, ...].
    items = models.JSONField()
    passed = models.BooleanField()
    note = models.TextField(blank=True, max_length=1000)
    # The sentence the instructor ticked, as they read it.
    attestation = models.TextField()
    recorded_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = recorded_person()
    revoke_reason = models.TextField(blank=True, max_length=1000)

    objects = SkillsCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            # One passed check stands per completed course; revoke it to record
            # another.
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(passed=True, revoked_at__isnull=True),
                name="skills_check_one_standing_pass",
                violation_error_message="A passed skills check stands already.",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""),
                name="skills_check_revoked_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(location="") & ~Q(attestation=""),
                name="skills_check_location_and_attestation",
            ),
        ]

    def __str__(self) -> str:
        result = "passed" if self.passed else "not passed"
        return f"{self.course} skills check of {self.membership.user}: {result}"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "passed" if self.passed else "not_passed"
