"""Accounts: the learner (or staff member) who signs in by e-mail.

The user row also holds the profile printed on certificates (legal name) and the
profession that drives course recommendations. There is no username: the e-mail address
is the login, unique regardless of letter case.

`TotpStep` remembers, per TOTP authenticator (allauth's), the last time step whose code
was accepted, so that a code is good once whichever web process sees it.
"""

from __future__ import annotations

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.prepared import prepared

from .text import validate_printable_text
from .timezones import validate_time_zone


class Profession(models.TextChoices):
    NURSE = "nurse", "Nurse"
    PHYSICIAN = "physician", "Physician"
    PARAMEDIC = "paramedic", "Paramedic / EMT"
    ADVANCED_PRACTICE = "advanced_practice", "Advanced practice provider (NP, PA, CRNA)"
    MEDICAL_ASSISTANT = "medical_assistant", "Medical assistant"
    DENTAL = "dental", "Dental professional"
    EDUCATOR = "educator", "Teacher, coach or childcare"
    OTHER = "other", "Other"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # Lower-case the whole address: people type their e-mail in any case, and
        # two accounts that differ only by case would be a support nightmare.
        return (email or "").strip().lower()

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(
        self, email: str, password: str | None = None, **extra
    ) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str) -> User:
        return self.get(email__iexact=email)

    def get(self, *args, **kwargs) -> User:
        """`get(pk=<int>)`, the lookup Django's ModelBackend makes on every signed-in
        request, runs a query compiled once per process (core.prepared: about half
        the CPU of the ORM's, issue 19), with the ORM's answer and DoesNotExist,
        and the learner's state version as `state_version`; any other lookup is the
        ORM's own."""
        if (
            type(self) is UserManager  # not a related manager (group.user_set)
            and self._db is None
            and not args
            and kwargs.keys() == {"pk"}
            and type(kwargs["pk"]) is int
        ):
            rows = _user_by_pk(pk=kwargs["pk"])
            if not rows:
                raise self.model.DoesNotExist(
                    f"{self.model._meta.object_name} matching query does not exist."
                )
            return rows[0]
        return super().get(*args, **kwargs)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", max_length=254, unique=True)
    legal_name = models.CharField(
        "legal full name",
        max_length=100,
        blank=True,
        help_text="Printed on your certificates exactly as written here.",
        validators=[validate_printable_text],
    )
    profession = models.CharField(max_length=32, choices=Profession, blank=True)
    organisation = models.CharField(
        max_length=150, blank=True, validators=[validate_printable_text]
    )
    licence_number = models.CharField(
        "licence number",
        max_length=64,
        blank=True,
        validators=[validate_printable_text],
    )
    renewal_reminders = models.BooleanField(
        "e-mail me before my certificates expire", default=True
    )
    # Where the learner reads times (an IANA name, e.g. "America/Chicago"): detected
    # by the browser, changeable on the profile; empty until known (UTC shown).
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_time_zone]
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Bumped to end every session of the account at once (user_other_sessions_end):
    # it is part of the session hash Django checks on each request.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message=(
                    "A user with this e-mail address already exists."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.legal_name or self.email

    def get_short_name(self) -> str:
        return self.legal_name.split(" ")[0] if self.legal_name else self.email

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's hash of the password (so a password change still ends other
        sessions), salted with `session_generation` once it was bumped; generation 0
        keeps Django's own value, so no session ends when this is deployed."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.session_generation",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def profile_complete(self) -> bool:
        """A certificate can only be issued to a learner with a legal name on file."""
        return bool(self.legal_name)


@prepared(pk=int)
def _user_by_pk(pk: int) -> models.QuerySet[User]:
    # With the learner's state version as of this read (`state_version`): the
    # request's user is read first, before anything a kept page is drawn from
    # (accounts.learner_pages), at no query of its own.
    return User.objects.filter(pk=pk).annotate(
        state_version=Coalesce(
            Subquery(
                LearnerVersion.objects.filter(user_id=OuterRef("pk")).values("version")
            ),
            Value(0),
        )
    )


class TotpStep(models.Model):
    """The last TOTP time step an authenticator accepted a code for.

    A code of this step or an earlier one is refused: one code opens one session, even
    when two web processes (each with its own cache) see it within its 30 seconds.
    """

    authenticator = models.OneToOneField(
        "mfa.Authenticator",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    # Unix time // TOTP period of the last accepted code.
    last_step = models.PositiveBigIntegerField()
    accepted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"authenticator {self.authenticator_id}: step {self.last_step}"


class LearnerVersion(models.Model):
    """A counter the database moves on every write to a learner's records (their
    user row, enrollments, lesson progress, attempts, certificates, ...): pages kept
    per learner (accounts.learner_pages) are keyed by it, so no kept page outlives a
    change to what it shows, however the change was made (a service, the admin, a
    bulk update, a shell).

    The triggers that move it are installed after every `migrate`
    (accounts.learner_state); the apps name their tables in `AppConfig.ready()`. A
    learner with no row has version 0. `user_id` is a plain column, not a foreign
    key: a trigger may move the counter while the user's rows are being deleted.
    """

    user_id = models.BigIntegerField(primary_key=True)
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"user {self.user_id}: version {self.version}"
