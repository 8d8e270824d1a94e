"""The learners' state versions (accounts.models.LearnerVersion) and the triggers
that move them (accounts.learner_state): installed here on the tables that exist so
far, and again after every `migrate` (on every registered table, whatever its app's
migrations changed); removed before the table is dropped when migrated back, so no
write ever fails for want of it.
"""

from django.db import migrations, models

from accounts.learner_state import migration_install, migration_remove


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_legal_name_trigram_search"),
    ]

    operations = [
        migrations.CreateModel(
            name="LearnerVersion",
            fields=[
                ("user_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(migration_install, migration_remove, elidable=False),
    ]
