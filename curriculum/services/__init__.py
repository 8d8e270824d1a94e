"""Loading the curriculum from `content/` into the database, and writing it back.

`content_sync` reads and validates the whole tree first (every problem reported with its
file and line), then applies it in one transaction: any error leaves the database as it
was. Rows are matched by their stable content identity (course slug, module and lesson
slug, image path, question id), so ids, and with them learners' progress and attempts,
survive edits. A row an admin edited since the last sync is not overwritten unless
`force=True`. Rows an admin created (never synced) are left alone.

`content_export` writes the database back in the same layout (`export.py`).
"""

from ..reader import ContentError, Problem
from .export import ExportRefused, content_export
from .sync import SyncReport, content_sync

__all__ = [
    "ContentError",
    "ExportRefused",
    "Problem",
    "SyncReport",
    "content_export",
    "content_sync",
]
