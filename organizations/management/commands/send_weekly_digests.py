from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand

from organizations.selectors import organizations_for_digest
from organizations.services import weekly_digest_send, weekly_digest_week


class Command(BaseCommand):
    help = (
        "Sends this ISO week's compliance digest to every organization's "
        "administrators, each once (safe to run again)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--on", help="a day of the week to send (ISO date)")

    def handle(self, *args, **options) -> None:
        on = date.fromisoformat(options["on"]) if options["on"] else None
        iso_year, iso_week = weekly_digest_week(on)
        sent = sum(
            weekly_digest_send(
                organization_id=pk, iso_year=iso_year, iso_week=iso_week, today=on
            )
            for pk in organizations_for_digest()
        )
        self.stdout.write(f"Weekly digests {iso_year}-W{iso_week:02d}: {sent} sent.")
