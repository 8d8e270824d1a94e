from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from certificates.signing import (
    GENERATED_KEY_BITS,
    generate_private_key_pem,
    thumbprint_of,
)


class Command(BaseCommand):
    help = (
        "Write a new RSA private key (PEM) for signing Open Badges credentials to "
        "PATH, readable by its owner only, and print its thumbprint. Never "
        "overwrites a file. `make run` uses it for the development key under var/; "
        "to rotate in production, generate a key, point CREDENTIAL_SIGNING_KEY_FILE "
        "(or CREDENTIAL_SIGNING_KEY) at it and restart: new credentials are signed "
        "with it, and the old key's public half stays published."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--bits", type=int, default=GENERATED_KEY_BITS, choices=[2048, 3072, 4096]
        )

    def handle(self, *args, path: Path, bits: int, **options):
        pem = generate_private_key_pem(bits)
        try:
            # O_EXCL: an existing key (perhaps the one production signs with) is
            # never replaced.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(f"{path} exists; not overwriting a key.") from exc
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from exc
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        thumbprint = thumbprint_of(pem)
        self.stdout.write(f"Wrote a {bits}-bit signing key to {path} ({thumbprint}).")
