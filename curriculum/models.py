"""What the curriculum app stores: the state the last successful sync left.

`sync_content` reads and validates the whole content tree and compares every row,
which costs seconds however little changed. `SyncState` remembers, for the last
successful sync, a digest of the files (and of the code that reads them) and a digest
of the curriculum rows as that sync left them, so the next sync can tell "nothing
changed on either side" without reading the tree (services/fingerprint.py).
"""

from __future__ import annotations

from django.db import models


class SyncState(models.Model):
    """One row per content tree ("content"): written in the sync's transaction."""

    key = models.CharField(max_length=40, unique=True)
    files_digest = models.CharField(max_length=64)
    database_digest = models.CharField(max_length=64)
    # The reader's warnings and notices, repeated by a sync that skips reading:
    # {"warnings": [[path, line, message], ...], "notices": [...]}.
    problems = models.JSONField(default=dict)
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name = "content sync state"

    def __str__(self) -> str:
        return f"{self.key} synced at {self.synced_at:%Y-%m-%d %H:%M}"
