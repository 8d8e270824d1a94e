"""Reads of accounts."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from core.prepared import prepared

from .models import LearnerVersion, User


def user_has_totp(*, user: User) -> bool:
    """The user has an active TOTP authenticator (what staff need for the admin)."""
    return Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.TOTP
    ).exists()


def session_passed_mfa(request: HttpRequest) -> bool:
    """This session (not merely the account) passed a second factor: allauth recorded
    an "mfa" authentication in it, at sign-in (the code after the password) or on
    re-authentication with a code, or when this session activated the authenticator
    app (accounts.apps). A session signed in with the password alone has none, even
    once the account has an authenticator."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, user)
    )


def staff_verified(request: HttpRequest) -> bool:
    """THE staff rule: the request may use a staff privilege (the admin, any
    learner's certificate or outside card, drafts, exam statistics, the workers
    check) only when its user is an active staff member who still has an
    authenticator app and whose session passed it. Everywhere else a staff member
    whose session did not is treated as a learner."""
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff and session_passed_mfa(request) and user_has_totp(user=user)


def users_matching(*, term: str) -> QuerySet[User]:
    """The accounts a staff search names, found through indexes only.

    A term with "@" is an e-mail address or its beginning (addresses are stored
    lower-case: a prefix match on the column's pattern index). Otherwise each word
    must appear in the legal name (a trigram index on PostgreSQL) or begin the
    e-mail address ("learner42" finds learner42@...)."""
    term = term.strip()
    if not term:
        return User.objects.none()
    if "@" in term:
        return User.objects.filter(email__startswith=term.lower())
    matches = Q()
    for word in term.split():
        matches &= Q(legal_name__icontains=word) | Q(email__startswith=word.lower())
    return User.objects.filter(matches)


@prepared(user_id=int)
def _learner_version(user_id: int) -> QuerySet[LearnerVersion]:
    return LearnerVersion.objects.filter(user_id=user_id).values_list("version")


def learner_version(*, user_id: int) -> int:
    """The learner's state version (accounts.models.LearnerVersion): it moves with
    every write to their records. One query."""
    rows = _learner_version(user_id=user_id)
    return rows[0][0] if rows else 0
