from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from exams.models import Exam
from exams.selectors.tallies import RECOUNT_BATCH
from exams.services import exam_tallies_recount


class Command(BaseCommand):
    help = (
        "Rebuild the exam statistics counters from the submitted attempts (after "
        "migrating to them, or to check them): each exam in its own transaction, "
        "reading its attempts in batches. Gradings of the exam being recounted wait "
        "for it and are counted after. Safe to run again: exact counters are left "
        "as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "exam_ids", nargs="*", type=int, help="Exams to recount (default: all)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=RECOUNT_BATCH,
            help=f"Attempts read per batch (default {RECOUNT_BATCH}).",
        )

    def handle(self, *args, exam_ids, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        exams = Exam.objects.order_by("pk")
        if exam_ids:
            exams = exams.filter(pk__in=exam_ids)
            missing = set(exam_ids) - set(exams.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No exam with id {sorted(missing)}.")
        rebuilt = 0
        for exam in exams:
            if exam_tallies_recount(exam=exam, batch_size=batch_size):
                rebuilt += 1
                self.stdout.write(f"Exam {exam.pk} ({exam}): counters rebuilt.")
        self.stdout.write(
            f"Recounted {exams.count()} exam(s); {rebuilt} had counters to rebuild."
        )
