"""Writes to the audit trail. Only services call this, inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from .context import current_interface
from .models import AuditEvent


def audit_record(
    *,
    action: AuditEvent.Action,
    actor=None,
    subject=None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Appends one decision to the trail and returns it.

    `actor` is the person who decided (None: the system); `subject` the learner whose
    record changed; `target` the row decided on. The interface is the one the process
    was entered through (audit.context).
    """
    return AuditEvent.objects.create(
        action=action,
        interface=current_interface(),
        actor=actor,
        actor_label=getattr(actor, "email", "") or "system",
        subject=subject,
        subject_label=getattr(subject, "email", "") or "",
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        data=data or {},
    )
