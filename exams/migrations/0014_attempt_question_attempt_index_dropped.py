"""The attempt questions' single-column index on `attempt_id` goes: the unique
constraints (attempt, position) and (attempt, question) both lead with it and serve
every lookup by attempt, and each index is one more write at every autosave (issue
19).

Only the index is dropped (the name Django gave it, the same on PostgreSQL and
SQLite): `AlterField` would also drop and re-add the foreign key, which PostgreSQL
then checks against every row, tens of millions of them, while writes wait.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "exams_attemptquestion_attempt_id_70665b66"


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0013_lesson_views_mark_backfill"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="attemptquestion",
                    name="attempt",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="exams.attempt",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=(
                        f'CREATE INDEX "{INDEX}" ON "exams_attemptquestion" '
                        '("attempt_id")'
                    ),
                ),
            ],
        ),
    ]
