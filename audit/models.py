"""The audit trail: one append-only row per decision that matters to a credential.

Enrolment, completion, certificate issued or revoked, outside card submitted, approved
or rejected, reminder sent, and every staff override are recorded by the service that
makes the decision, in the same transaction, so a decision and its record commit or
roll back together whatever called the service (a page, the admin, a task, a shell).
Rows are never changed or deleted: a later decision is a new row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AppendOnly(Exception):
    """Audit rows are evidence: they are never changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        ENROLLMENT_CREATED = "enrollment.created", "enrolled"
        ENROLLMENT_WAITING = "enrollment.waiting", "enrollment waits for a prerequisite"
        ENROLLMENT_ACTIVATED = "enrollment.activated", "enrollment opened"
        ENROLLMENT_COMPLETED = "enrollment.completed", "course completed"
        LESSONS_TESTED_OUT = "lessons.tested_out", "module's lessons done by test-out"
        CERTIFICATE_ISSUED = "certificate.issued", "certificate issued"
        CERTIFICATE_REVOKED = "certificate.revoked", "certificate revoked"
        CARD_SUBMITTED = "external_card.submitted", "outside card submitted"
        CARD_APPROVED = "external_card.approved", "outside card approved"
        CARD_REJECTED = "external_card.rejected", "outside card rejected"
        REMINDER_SENT = "reminder.sent", "renewal reminder sent"
        CONTENT_PUBLISHED = "content.published", "published"
        CONTENT_UNPUBLISHED = "content.unpublished", "unpublished"
        EXAM_ACTIVATED = "exam.activated", "exam activated"
        EXAM_DEACTIVATED = "exam.deactivated", "exam deactivated"
        QUESTION_ACTIVATED = "question.activated", "question activated"
        QUESTION_DEACTIVATED = "question.deactivated", "question deactivated"
        PREREQUISITES_CHANGED = (
            "course.prerequisites_changed",
            "course prerequisites changed",
        )
        STAFF_OVERRIDE = "staff.override", "staff override"
        # issue 12: a staff member lifted a learner's exam cool-down.
        EXAM_COOLDOWN_CLEARED = "exam.cooldown_cleared", "exam cool-down cleared"
        # issue 17: organizations.
        ORGANIZATION_CHANGED = "organization.changed", "organization changed"
        INVITATION_SENT = "invitation.sent", "invitation sent"
        INVITATION_REVOKED = "invitation.revoked", "invitation revoked"
        JOIN_LINK_CREATED = "join_link.created", "join link created"
        JOIN_LINK_DEACTIVATED = "join_link.deactivated", "join link deactivated"
        MEMBERSHIP_JOINED = "membership.joined", "joined an organization"
        MEMBERSHIP_LEFT = "membership.left", "left an organization"
        MEMBERSHIP_ROLE_CHANGED = "membership.role_changed", "organization role changed"
        CONSENT_GIVEN = "membership.consent_given", "consented to share status"
        CONSENT_WITHDRAWN = "membership.consent_withdrawn", "withdrew consent to share"
        REQUIREMENT_ADDED = "requirement.added", "required course added"
        REQUIREMENT_REMOVED = "requirement.removed", "required course removed"
        DIGEST_SENT = "digest.sent", "weekly digest sent"
        # issue 17, part 2: prepaid seats and skills checks.
        SEATS_ISSUED = "seat.issued", "seats issued"
        SEAT_ASSIGNED = "seat.assigned", "seat code assigned"
        SEAT_ASSIGNMENT_REVOKED = "seat.assignment_revoked", "seat code withdrawn"
        SEAT_REDEEMED = "seat.redeemed", "seat code redeemed"
        SEAT_REDEEM_REFUSED = "seat.redeem_refused", "seat code refused"
        SKILLS_CHECK_RECORDED = "skills_check.recorded", "skills check recorded"
        SKILLS_CHECK_REVOKED = "skills_check.revoked", "skills check revoked"
        # issue 18: organizations' API tokens.
        API_TOKEN_CREATED = "api_token.created", "API token created"
        API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"

    class Interface(models.TextChoices):
        WEB = "web", "web"
        ADMIN = "admin", "admin"
        API = "api", "API"
        TASK = "task", "background task"
        COMMAND = "command", "management command"
        SHELL = "shell", "shell or script"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=40, choices=Action.choices)
    interface = models.CharField(max_length=10, choices=Interface.choices)
    # Who decided: a person (staff or the learner) or nobody (the system itself).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the trail must still read after an account is deleted.
    actor_label = models.CharField(max_length=254)
    # Whose record the decision changed: the learner.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    subject_label = models.CharField(max_length=254, blank=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["subject", "-created_at"], name="audit_subject_recent"
            ),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            # The admin: one action's events newest first, and the search by
            # e-mail address or its beginning (LIKE 'x%' on PostgreSQL needs the
            # pattern operator class; SQLite ignores it).
            models.Index(fields=["action", "-created_at"], name="audit_action_recent"),
            models.Index(
                fields=["subject_label"],
                opclasses=["varchar_pattern_ops"],
                name="audit_subject_label_prefix",
            ),
            models.Index(
                fields=["actor_label"],
                opclasses=["varchar_pattern_ops"],
                name="audit_actor_label_prefix",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit events cannot be deleted.")
