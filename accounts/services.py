"""Writes to accounts."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from core.errors import InvalidInput
from core.events import publish

from .events import LegalNameSet
from .models import TotpStep, User
from .timezones import is_time_zone

PROFILE_FIELDS = (
    "legal_name",
    "profession",
    "organisation",
    "licence_number",
    "renewal_reminders",
    "time_zone",
)


@transaction.atomic
def user_profile_update(*, user: User, data: dict, by: User | None = None) -> list[str]:
    """Saves the profile fields in `data` that changed; returns their names.

    Nothing is written when nothing changed. `by` is who changes it, when not the
    learner: a staff member's change is a staff override, recorded in the audit trail
    with the old and new values. A legal name given for the first time publishes
    LegalNameSet after commit (the certificates app issues what waited for it).
    """
    had_name = bool(user.legal_name)
    changed = [
        field
        for field in PROFILE_FIELDS
        if field in data and getattr(user, field) != data[field]
    ]
    before = {field: getattr(user, field) for field in changed}
    for field in changed:
        setattr(user, field, data[field])
    if changed:
        user.save(update_fields=changed)
    if changed and by is not None and by.pk != user.pk:
        audit_record(
            action=AuditEvent.Action.STAFF_OVERRIDE,
            actor=by,
            subject=user,
            target=user,
            data={
                "profile": {
                    field: {"from": before[field], "to": data[field]}
                    for field in changed
                }
            },
        )
    if not had_name and user.legal_name:
        publish(LegalNameSet(user_id=user.pk))
    return changed


def user_time_zone_detect(*, user: User, name: str) -> bool:
    """Stores the time zone the learner's browser reported, unless the profile
    already has one (a zone the learner chose, or one detected before: travelling
    does not change it; the profile page does). Whether it was stored. An unknown
    name stores nothing."""
    if not is_time_zone(name):
        return False
    stored = User.objects.filter(pk=user.pk, time_zone="").update(time_zone=name)
    if stored:
        user.time_zone = name
    return bool(stored)


def _totp_step_of(*, secret: str, code: str) -> int | None:
    """The time step (within allauth's tolerance of now) whose code `code` is."""
    for step in yield_hotp_counters_from_time():
        expected = format_hotp_value(hotp_value(secret, step))
        if compare_user_code(actual=code, expected=expected):
            return step
    return None


def totp_code_accept(*, authenticator: Authenticator, code: str) -> bool:
    """True, once, for a TOTP code of a time step later than the last one accepted.

    Replaces allauth's "used codes" memory, which lives in the cache and so per process
    without a shared cache. The last accepted step is kept in the database: the
    authenticator's row is locked (PostgreSQL) and the step moves forward by a
    conditional UPDATE, so two processes handed the same code accept it once, on any
    database. Records the step on success; changes nothing otherwise.
    """
    step = _totp_step_of(secret=decrypt(authenticator.data["secret"]), code=code)
    if step is None:
        return False
    with transaction.atomic():
        locked = (
            Authenticator.objects.select_for_update()
            .filter(pk=authenticator.pk)
            .values_list("pk", flat=True)
            .first()
        )
        if locked is None:  # deactivated meanwhile
            return False
        TotpStep.objects.get_or_create(
            authenticator_id=authenticator.pk, defaults={"last_step": 0}
        )
        moved = TotpStep.objects.filter(
            authenticator_id=authenticator.pk, last_step__lt=step
        ).update(last_step=step, accepted_at=timezone.now())
    return moved == 1


def totp_activation_record(*, authenticator: Authenticator) -> None:
    """Counts the code typed to activate `authenticator` as used (and any older one)."""
    if authenticator.type != Authenticator.Type.TOTP:
        return
    step = int(timezone.now().timestamp()) // mfa_settings.TOTP_PERIOD
    TotpStep.objects.update_or_create(
        authenticator_id=authenticator.pk,
        defaults={"last_step": step, "accepted_at": timezone.now()},
    )


def user_other_sessions_end(*, user: User) -> None:
    """Ends every session of `user` (in any browser, on any session backend): the
    generation that salts their session hash moves on, so each old session fails
    Django's hash check on its next request and is signed out. The caller keeps the
    session it acts in with `update_session_auth_hash(request, user)` (Django's own
    "stay signed in here" step), so only the OTHER sessions end.

    Called when an authenticator app is activated (accounts.apps): a session signed
    in with the password alone before that (someone who had the password) is out.
    """
    User.objects.filter(pk=user.pk).update(
        session_generation=F("session_generation") + 1
    )
    user.refresh_from_db(fields=["session_generation"])


# What decides who can sign in and what they may do: a staff member's change to any
# of these is a staff override in the audit trail.
ACCESS_FIELDS = (
    "email",
    "password",
    "is_active",
    "is_staff",
    "is_superuser",
    "groups",
    "user_permissions",
)
_M2M_ACCESS_FIELDS = ("groups", "user_permissions")


def _access_value(user: User, field: str):
    if field == "groups":
        return sorted(user.groups.values_list("name", flat=True))
    if field == "user_permissions":
        return sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        )
    return getattr(user, field)


def _access_target(field: str, value):
    """`value` as _access_value reports it (groups by name, permissions dotted)."""
    if field == "groups":
        return sorted(group.name for group in value)
    if field == "user_permissions":
        return sorted(
            f"{perm.content_type.app_label}.{perm.codename}" for perm in value
        )
    return value


@transaction.atomic
def user_access_update(*, user: User, by: User, changes: dict) -> list[str]:
    """Saves a staff member's change to what `user` may do and records it.

    `changes` maps fields of ACCESS_FIELDS to their new value: e-mail and the flags
    as values, `groups`/`user_permissions` as iterables of Group/Permission, and
    `password` as the new password HASH (`make_password`, or an unusable one).
    Only what differs from the stored row is written; returns those field names.
    The audit event (STAFF_OVERRIDE, actor `by`) lists old -> new for each, except
    the password, recorded as "password changed" (never a hash).
    """
    unknown = set(changes) - set(ACCESS_FIELDS)
    if unknown:
        raise ValueError(f"not access fields: {', '.join(sorted(unknown))}")
    stored = User.objects.select_for_update().get(pk=user.pk)
    diff: dict[str, dict] = {}
    for field, new in changes.items():
        old = _access_value(stored, field)
        if field in _M2M_ACCESS_FIELDS:
            new = list(new)
            if _access_target(field, new) != old:
                getattr(user, field).set(new)
                diff[field] = {"from": old, "to": _access_target(field, new)}
        elif new != old:
            setattr(user, field, new)
            diff[field] = {"from": old, "to": new}
    scalar = [field for field in diff if field not in _M2M_ACCESS_FIELDS]
    if scalar:
        user.save(update_fields=scalar)
    if not diff:
        return []
    if "password" in diff:
        unusable = user.password.startswith(UNUSABLE_PASSWORD_PREFIX)
        diff["password"] = (
            "password sign-in disabled" if unusable else "password changed"
        )
    audit_record(
        action=AuditEvent.Action.STAFF_OVERRIDE,
        actor=by,
        subject=user,
        target=user,
        data={"access": diff},
    )
    return list(diff)


@transaction.atomic
def admin_create(*, email: str, password: str) -> tuple[User, bool]:
    """Creates a superuser whose e-mail address is already verified, so the first
    log-in reaches the admin without a confirmation e-mail; returns (user, created).

    Idempotent: an existing superuser with that address is returned unchanged, its
    address marked verified. An existing account that is not a superuser is refused
    (InvalidInput): grant access in the admin, where the change is audited. A new
    administrator's password must pass the password validators (InvalidInput, code
    `admin.password_invalid`; a blank one too). The
    creation is recorded (STAFF_OVERRIDE, actor: the system). Two-factor is not set
    up here: staff activate an authenticator app on their first admin visit
    (accounts.middleware.StaffTotpRequiredMiddleware).
    """
    email = User.objects.normalize_email(email).strip()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is not None and not user.is_superuser:
        raise InvalidInput(
            f"{email} already has an account that is not an administrator. "
            "Give it staff access in the admin instead.",
            code="admin.account_exists",
        )
    if created:
        _admin_password_check(email=email, password=password)
        user = User.objects.create_superuser(email=email, password=password)
        audit_record(
            action=AuditEvent.Action.STAFF_OVERRIDE,
            subject=user,
            target=user,
            data={"access": {"is_staff": True, "is_superuser": True, "created": True}},
        )
    EmailAddress.objects.filter(user=user).exclude(email__iexact=email).update(
        primary=False
    )
    EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=email,
        defaults={"email": user.email, "verified": True, "primary": True},
    )
    return user, created


def _admin_password_check(*, email: str, password: str) -> None:
    try:
        if not password.strip():
            raise ValidationError("Choose a password.")
        validate_password(password, User(email=email))
    except ValidationError as error:
        raise InvalidInput(
            " ".join(error.messages), code="admin.password_invalid"
        ) from error


def account_email_send(*, message: dict) -> None:
    """Sends an account e-mail rendered in the request (see AccountAdapter.send_mail).

    `message` holds subject, body, from_email, to, headers and html (or None). Raises
    OSError (smtplib's errors included) when the mail server fails; the task retries.
    """
    mail = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message.get("headers") or None,
    )
    if message.get("html"):
        mail.attach_alternative(message["html"], "text/html")
    mail.send()
