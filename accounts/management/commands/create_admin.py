"""`make superuser`: an administrator who can log in at once, no e-mail to confirm."""

from __future__ import annotations

import getpass
import os

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import admin_create
from core.errors import LifelineError

NEXT_STEPS = """\
Log in at {site}/admin/ with {email}.
Staff need two-factor authentication: on the first visit the admin asks you to
set up an authenticator app (scan the QR code, enter a code), then to keep your
recovery codes. Every later log-in asks for a code from the app
(docs/OPERATIONS.md, "Staff two-factor authentication")."""


class Command(BaseCommand):
    help = (
        "Creates a superuser whose e-mail address is verified. The password comes "
        "from DJANGO_SUPERUSER_PASSWORD or is asked for."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", help="the administrator's e-mail address")

    def handle(self, *args, email: str | None = None, **options) -> None:
        email = email or os.environ.get("DJANGO_SUPERUSER_EMAIL") or ""
        while not email.strip():
            email = input("E-mail address: ")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or ""
        existing = User.objects.filter(email__iexact=email.strip()).exists()
        if not password and not existing:
            password = self._ask_password(email)
        try:
            user, created = admin_create(email=email, password=password)
        except LifelineError as error:
            raise CommandError(error.message) from error
        site = settings.SITE_URL
        verb = "Created" if created else "Already an administrator:"
        self.stdout.write(self.style.SUCCESS(f"{verb} {user.email} (e-mail verified)."))
        self.stdout.write(NEXT_STEPS.format(site=site, email=user.email))

    @staticmethod
    def _ask_password(email: str) -> str:
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                print("The passwords differ. Try again.")
                continue
            try:
                validate_password(password, User(email=email))
            except ValidationError as error:
                print(" ".join(error.messages))
                continue
            return password
