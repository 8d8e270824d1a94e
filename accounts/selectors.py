"""Reads of accounts."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from .models import User


def user_has_totp(*, user: User) -> bool:
    """The user has an active TOTP authenticator (what staff need for the admin)."""
    return Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.TOTP
    ).exists()
