from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from curriculum.services import ContentError, content_sync


class Command(BaseCommand):
    help = (
        "Validate content/ and load it into the database, all or nothing. Reports "
        "what was created, updated and removed; refuses to overwrite admin edits "
        "unless --force. Does nothing, without reading the tree, when the files and "
        "the database are as the last sync left them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", help="content folder (default: CONTENT_DIR)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "overwrite rows edited in the admin, and read and compare the whole "
                "tree even when nothing seems to have changed since the last sync"
            ),
        )

    def handle(self, *args, path=None, force=False, **options):
        root = Path(path) if path else settings.CONTENT_DIR
        try:
            report = content_sync(root=root, force=force)
        except ContentError as error:
            raise CommandError(
                f"Content not loaded; the database is unchanged.\n{error}"
            ) from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        # Not errors: what each bank still lacks for its target draw.
        for notice in report.notices:
            self.stdout.write(f"notice: {notice}")
        for line in report.lines():
            self.stdout.write(line)
        if report.changed:
            self.stdout.write(self.style.SUCCESS(f"Content from {root} loaded."))
        elif report.skipped:
            self.stdout.write(
                "No changes: the files and the database are as the last sync left "
                "them (not read again; --force reads and compares everything)."
            )
        else:
            self.stdout.write("No changes: the database already matches the content.")
