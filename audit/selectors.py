"""Reads of the audit trail."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import AuditEvent


def audit_events_for_subject(*, user) -> QuerySet[AuditEvent]:
    """A learner's history, newest first: every decision about them."""
    return AuditEvent.objects.filter(subject=user).select_related("actor")


def audit_events_for_target(*, target) -> QuerySet[AuditEvent]:
    """Every decision recorded about one row, newest first."""
    return AuditEvent.objects.filter(
        Q(target_type=target._meta.label_lower) & Q(target_id=str(target.pk))
    ).select_related("actor")
