from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from certificates.services.reminders import renewal_reminders_send
from core.dates import site_today


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = (
        "Send the renewal reminders owed today (before expiry, or after it; one a "
        "missed run did not send is caught up), each at most once. "
        "For cron users; the Celery beat schedule runs the same daily. Safe to run "
        "again or concurrently."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=_iso_date,
            help="send the reminders owed on this day (YYYY-MM-DD), today or a past "
            "day to catch up (a future day is refused); default: today",
        )

    def handle(self, *args, date=None, **options):
        today = date or site_today()
        if today > site_today():
            # Sending them now would send them early and record them as sent.
            raise CommandError(
                f"{today.isoformat()} is in the future: reminders are sent on their "
                "day, or later to catch up, never ahead of it. Nothing was sent."
            )
        try:
            run = renewal_reminders_send(today=today)
        except OSError as error:
            raise CommandError(
                f"Stopped: the mail server failed ({error}). Reminders sent so far are "
                "recorded; run the command again to send the rest."
            ) from error
        self.stdout.write(
            f"Renewal reminders for {today.isoformat()}: {run.due} due, "
            f"{run.sent} sent."
        )
