from __future__ import annotations

from django.core.management.base import BaseCommand

from exams.services import exam_attempts_sweep_expired


class Command(BaseCommand):
    help = (
        "Grade every open exam attempt whose time is up, as of its deadline (or 24 "
        "hours after an untimed quiz started), on the answers saved by then; a "
        "passing one completes its course dated then. The beat schedule runs the "
        "same every 5 minutes, one batch at a time; this runs until none is left. "
        "Safe to run again or concurrently with the workers."
    )

    def handle(self, *args, **options):
        sweep = exam_attempts_sweep_expired(max_batches=None)
        self.stdout.write(f"Graded {sweep.closed} expired attempt(s).")
