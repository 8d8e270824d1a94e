"""Writes to accounts."""

from __future__ import annotations

from django.db import transaction

from certificates.services import certificates_issue_waiting_for_name

from .models import User

PROFILE_FIELDS = (
    "legal_name",
    "profession",
    "organisation",
    "licence_number",
    "renewal_reminders",
)


@transaction.atomic
def user_profile_update(*, user: User, data: dict) -> list[str]:
    """Saves the profile fields in `data` that changed; returns their names.

    Nothing is written when nothing changed. A learner who adds a legal name for the
    first time gets the certificates that waited for it (enqueued after commit).
    """
    had_name = bool(user.legal_name)
    changed = [
        field
        for field in PROFILE_FIELDS
        if field in data and getattr(user, field) != data[field]
    ]
    for field in changed:
        setattr(user, field, data[field])
    if changed:
        user.save(update_fields=changed)
    if not had_name and user.legal_name:
        certificates_issue_waiting_for_name(user=user)
    return changed
