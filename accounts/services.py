"""Writes to accounts."""

from __future__ import annotations

from .models import User

PROFILE_FIELDS = (
    "legal_name",
    "profession",
    "organisation",
    "licence_number",
    "renewal_reminders",
)


def user_profile_update(*, user: User, data: dict) -> list[str]:
    """Saves the profile fields in `data` that changed; returns their names.

    Nothing is written when nothing changed.
    """
    changed = [
        field
        for field in PROFILE_FIELDS
        if field in data and getattr(user, field) != data[field]
    ]
    for field in changed:
        setattr(user, field, data[field])
    if changed:
        user.save(update_fields=changed)
    return changed
