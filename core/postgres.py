"""Indexes only PostgreSQL can build, added by migrations and skipped elsewhere.

Trigram indexes (`gin_trgm_ops`, from the pg_trgm extension) serve the admin's
substring searches of names (`icontains`: `UPPER(name) LIKE '%...%'`) without reading
every row. SQLite has neither GIN nor operator classes, so these indexes live only in
migrations, as `AddPostgresIndex` operations, and not in the models' `Meta.indexes`:
SQLite migrates (the operation does nothing there), and the test suite, which builds
its tables from the models (`--no-migrations`), runs the same on both databases.
`TrigramExtension` (django.contrib.postgres) is skipped on SQLite by Django itself.
"""

from __future__ import annotations

from django.db import models
from django.db.migrations.operations.base import Operation


class AddPostgresIndex(Operation):
    """Create `index` on `model_name`'s table on PostgreSQL; nothing elsewhere.

    It leaves the migration state alone: the models do not declare the index."""

    reversible = True

    def __init__(self, model_name: str, index: models.Index) -> None:
        self.model_name = model_name
        self.index = index

    def state_forwards(self, app_label, state) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            model = from_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_index(model, self.index)

    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name} (PostgreSQL)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.index.name.lower()}"

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "index": self.index},
        )
