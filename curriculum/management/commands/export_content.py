from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from curriculum.services import ExportRefused, content_export


class Command(BaseCommand):
    help = "Write the courses in the database back to files in the content/ layout."

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder to write to (e.g. content/)")

    def handle(self, *args, path, **options):
        try:
            count = content_export(root=Path(path))
        except ExportRefused as refused:
            raise CommandError(
                f"Export refused; nothing was written.\n{refused}"
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} files to {path}."))
