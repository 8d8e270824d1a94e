from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from certificates.services.sweeper import certificates_sweep
from certificates.tasks import issue_certificate, send_external_card_decision


def _minutes(value: str) -> int:
    try:
        minutes = int(value)
    except ValueError:
        minutes = -1
    if minutes < 0:
        raise ArgumentTypeError(f"not a number of minutes (0 or more): {value!r}")
    return minutes


class Command(BaseCommand):
    help = (
        "Queue the certificate work still owed: certificates for completions whose "
        "task was lost (a worker was killed, the broker lost its queue), issue and "
        "card-decision e-mails that never went out. The beat schedule runs the same "
        "every 10 minutes; run it by hand to recover at once, e.g. after a Redis "
        "restart without persistence. Safe to run again or concurrently."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=_minutes,
            default=settings.CERTIFICATE_SWEEP_GRACE_MINUTES,
            help="leave work younger than this to its own task (default: "
            "%(default)s); 0 after a broker restart, when no task is in flight",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            dest="full",
            help="look for completions without a certificate over all history, not "
            "only the last two weeks (what the nightly sweep does)",
        )

    def handle(self, *args, grace_minutes: int, full: bool, **options):
        sweep = certificates_sweep(
            issue=issue_certificate.delay,
            tell=send_external_card_decision.delay,
            grace=timedelta(minutes=grace_minutes),
            full=full,
        )
        self.stdout.write(
            f"Queued {sweep.certificates} certificate(s) and {sweep.cards} card "
            "decision e-mail(s)."
        )
