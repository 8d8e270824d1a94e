"""Certificates: what a learner holds and anyone can verify.

- Certificate: issued by Lifeline for one completed enrollment (never two), with a
  snapshot of what it certifies, so later edits to a name or course never change it.
- ExternalCertificate: an outside card (e.g. another provider's BLS) a learner uploads
  to meet a prerequisite; it counts only once staff approved it.
- RenewalReminder: one row per reminder e-mail claimed (then sent), so none is ever
  sent twice.
- HolderNameRequest: the same for the one "add your legal name" e-mail of an
  enrollment completed without a legal name on file.
- BadgeCredential, StatusList, SigningKey: the Open Badges 3.0 credential of a
  certificate (certificates/openbadges.py): its place in a revocation status list
  (assigned once, never reused), the published status lists, and the public half of
  every key that ever signed one (so old credentials still verify after a rotation).

Evidence is never cascaded away: certificates and reminders PROTECT what they refer to.
Who did what, and when: a certificate is issued by the system for the learner's own
completed enrollment (`issued_at`; the enrollment records the completion), revoked by a
staff member (`revoked_by`, `revoked_at`, `revoke_reason`); an outside card is reviewed
by a staff member (`reviewed_by`, `reviewed_at`, `review_note`: the current decision;
each decision is also its own audit event, so a changed decision keeps the earlier
one); a reminder records when it was claimed for sending (`claimed_at`) and when the
mail server took it (`sent_at`). The services record every such decision in the audit
trail (audit.AuditEvent) in the same transaction.

E-mails are claimed, committed, sent, then marked (see certificates/services/emails.py):
a claim younger than the lease (selectors.EMAIL_CLAIM_LEASE) means "sent or being
sent". One the mail server refused for good is marked failed (`*failed_at` and the
server's reply) and never retried.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.dates import site_today


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        REVOKED = "revoked", "Revoked"

    enrollment = models.OneToOneField(
        "courses.Enrollment", on_delete=models.PROTECT, related_name="certificate"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="certificates"
    )
    code = models.CharField(max_length=32, unique=True)
    holder_name = models.CharField(max_length=100)
    course_title = models.CharField(max_length=200)
    course_code = models.CharField(max_length=8)
    hours = models.DecimalField("CE hours", max_digits=4, decimal_places=1)
    # Snapshots taken at issue, like the name and title: a later change of licence,
    # accreditation wording, issuer name or medical director never rewrites a
    # certificate. The issuer's address and contact are read from settings when shown
    # (certificates.selectors.certificate_facts).
    licence_number = models.CharField("license number", max_length=64, blank=True)
    accreditation = models.CharField(max_length=600, blank=True)
    # The guideline edition the course taught when it was issued (its Open Badges
    # credential states it as the achievement's version).
    guidelines = models.CharField(max_length=200, blank=True)
    issuer_name = models.CharField(max_length=200, blank=True)
    signer_name = models.CharField(max_length=200, blank=True)
    signer_title = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField()
    expires_on = models.DateField()
    # Snapshot at issue (cases.selectors.case_assessment_included): the course
    # required case simulations and the learner passed each of them. The
    # certificate then states "Includes simulated case assessment."
    includes_case_assessment = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status, default=Status.VALID)
    issued_at = models.DateTimeField(default=timezone.now)
    pdf = models.FileField(upload_to="certificates/", blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.TextField(blank=True)
    # When the issue e-mail (PDF attached) went out; until then a retry resends it.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When a sender claimed the issue e-mail (committed before it talks to the mail
    # server): while the claim is younger than the lease nobody else sends it.
    email_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the mail server refused the issue e-mail for good (5xx: the address does
    # not exist, the message was rejected), and its reply: never retried.
    email_failed_at = models.DateTimeField(
        "issue e-mail refused", null=True, blank=True, editable=False
    )
    email_failure = models.TextField(
        "mail server's refusal", blank=True, editable=False
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("issued_on")),
                name="certificate_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(status="valid") | Q(revoked_at__isnull=False),
                name="certificate_revoked_has_date",
            ),
            models.CheckConstraint(
                condition=Q(status="valid") | ~Q(revoke_reason=""),
                name="certificate_revoked_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["expires_on"], name="certificate_expiry_idx"),
            # The sweeper's resend window: the few certificates whose e-mail is
            # still owed, by issue time (a small index whatever the history).
            models.Index(
                fields=["issued_at"],
                condition=Q(emailed_at__isnull=True, email_failed_at__isnull=True),
                name="certificate_email_owed_idx",
            ),
            # The admin lists certificates newest first, and finds the few whose
            # issue e-mail the mail server refused. (Holder names are searched
            # through a trigram index: migration 0010, PostgreSQL only.)
            models.Index(fields=["-issued_at", "-id"], name="certificate_recent_idx"),
            models.Index(
                fields=["email_failed_at"],
                condition=Q(email_failed_at__isnull=False),
                name="certificate_email_refused_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.holder_name} · {self.course_code}"

    def get_absolute_url(self) -> str:
        return reverse("certificates:verify_code", args=[self.code])

    @property
    def verify_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def pdf_filename(self) -> str:
        """What a download is saved as, e.g. Lifeline-BLS-7KQ4-M2XD-9TRA.pdf."""
        return f"{settings.SITE_NAME}-{self.code}.pdf"

    def is_expired(self, today: date | None = None) -> bool:
        return (today or site_today()) > self.expires_on

    def display_status(self, today: date | None = None) -> str:
        """valid, expired or revoked: what a verifier is told."""
        if self.status == self.Status.REVOKED:
            return "revoked"
        return "expired" if self.is_expired(today) else "valid"


# The file types an outside card may be, by content type (established from the file's
# content, never its name), with the extension its stored copy and downloads get.
# The upload form, the service, storage and the preview all use this one map.
EXTERNAL_CARD_FILE_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}


def external_card_path(instance: ExternalCertificate, filename: str) -> str:
    # The learner's file name is never trusted or reused: only the checked extension.
    return (
        f"external-cards/{instance.user_id}/"
        f"{timezone.now():%Y%m%d%H%M%S}.{instance.file_extension}"
    )


class ExternalCertificate(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="external_certificates",
    )
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The course this outside card stands in for (e.g. BLS).",
    )
    issuer = models.CharField(max_length=150)
    card_number = models.CharField(max_length=64)
    issued_on = models.DateField()
    expires_on = models.DateField()
    file = models.FileField(upload_to=external_card_path)
    content_type = models.CharField(max_length=50)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_note = models.TextField(blank=True)
    # Set once the learner was e-mailed the current decision; a new decision clears it.
    decision_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Claimed for sending (committed before the mail server is contacted), and a
    # permanent refusal of that e-mail with the server's reply; a new decision clears
    # all three.
    decision_email_claimed_at = models.DateTimeField(
        null=True, blank=True, editable=False
    )
    decision_email_failed_at = models.DateTimeField(
        "decision e-mail refused", null=True, blank=True, editable=False
    )
    decision_email_failure = models.TextField(
        "mail server's refusal", blank=True, editable=False
    )

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = "outside certificate"
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("issued_on")),
                name="external_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(reviewed_at__isnull=False),
                name="external_reviewed_has_date",
            ),
            # Staff review one card per learner at a time.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="external_one_pending_per_user",
            ),
        ]
        indexes = [
            # The sweeper's window: reviewed cards whose decision e-mail is owed.
            models.Index(
                fields=["reviewed_at"],
                condition=Q(
                    decision_emailed_at__isnull=True,
                    decision_email_failed_at__isnull=True,
                ),
                name="external_decision_owed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.card_number} ({self.get_status_display()})"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def file_extension(self) -> str:
        return EXTERNAL_CARD_FILE_TYPES.get(self.content_type, "bin")


class RenewalReminder(models.Model):
    class Kind(models.TextChoices):
        DAYS_90 = "90d", "90 days before expiry"
        DAYS_30 = "30d", "30 days before expiry"
        DAYS_7 = "7d", "7 days before expiry"
        EXPIRED = "expired", "Expired yesterday"

    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(max_length=16, choices=Kind)
    # Committed before the e-mail is handed to the mail server; `sent_at` once it took
    # it. A claim without `sent_at` older than the lease is retried (its sender died).
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The mail server refused it for good (5xx), and its reply: never retried. The
    # certificate's next reminder kind is still tried on its day.
    failed_at = models.DateTimeField("refused", null=True, blank=True)
    failure = models.TextField("mail server's refusal", blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "kind"], name="reminder_once_per_kind"
            )
        ]
        indexes = [
            # The admin lists reminders newest first, and finds the refused ones.
            models.Index(fields=["-claimed_at", "-id"], name="reminder_recent_idx"),
            models.Index(
                fields=["failed_at"],
                condition=Q(failed_at__isnull=False),
                name="reminder_refused_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate.code} · {self.kind}"


class HolderNameRequest(models.Model):
    """The one "add your legal name" e-mail of a completed enrollment whose learner had
    none: claimed (this row, unique per enrollment) before it is sent, then marked."""

    enrollment = models.OneToOneField(
        "courses.Enrollment", on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"legal name request · enrollment {self.enrollment_id}"


# --- Open Badges 3.0 credentials ---------------------------------------------------
# A W3C Bitstring Status List holds this many entries (the specification's minimum,
# 16 KB, for herd privacy: a verifier fetching it learns nothing about which one it
# checks).
STATUS_LIST_SIZE = 131_072
# A list takes new entries until this many are used, then the next list opens: a
# random free index is then found within about two draws.
STATUS_LIST_FILL = STATUS_LIST_SIZE // 2


class BadgeCredential(models.Model):
    """What stays the same across every download of a certificate's Open Badges
    credential: the salt of the holder's hashed e-mail, and its entry in a revocation
    status list (list number and index, drawn at random, assigned once and never
    reused: the unique constraint, and certificates are never deleted). Created the
    first time the credential is issued (services/credentials.py)."""

    certificate = models.OneToOneField(
        Certificate, on_delete=models.PROTECT, related_name="badge_credential"
    )
    status_list = models.PositiveIntegerField()
    status_index = models.PositiveIntegerField()
    # Salts the SHA-256 of the holder's e-mail (identityHash): the hash says nothing
    # by itself and differs between two certificates of the same holder.
    identity_salt = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status_list", "status_index"],
                name="badge_credential_status_entry_unique",
            ),
            models.CheckConstraint(
                condition=Q(status_index__lt=STATUS_LIST_SIZE),
                name="badge_credential_status_index_in_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate_id}: list {self.status_list} #{self.status_index}"


class StatusList(models.Model):
    """A published Bitstring Status List credential (revocation): the encoded list
    and the signed credential served at its stable URL. Rewritten only when a bit
    changes or the signing key is no longer the current one."""

    number = models.PositiveIntegerField(unique=True)
    encoded_list = models.TextField()
    token = models.TextField(help_text="The signed status list credential (VC-JWT).")
    # The RFC 7638 thumbprint of the key that signed `token`.
    key_thumbprint = models.CharField(max_length=64)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"status list {self.number}"


class SigningKey(models.Model):
    """The public half of a key that signed credentials, recorded the first time it
    signs: the key set Lifeline publishes lists every one, so a credential signed
    before a key rotation still verifies."""

    # RFC 7638 thumbprint: the key's own name; its `kid` is the URL built on it.
    thumbprint = models.CharField(max_length=64, unique=True)
    public_jwk = models.JSONField()
    first_used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["first_used_at", "id"]

    def __str__(self) -> str:
        return self.thumbprint
