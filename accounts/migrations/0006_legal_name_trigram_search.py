"""The admin's search of legal names: a trigram index, on PostgreSQL only.

`CREATE EXTENSION pg_trgm` needs the CREATE privilege on the database (pg_trgm is a
trusted extension from PostgreSQL 13: the database's owner may create it without
being a superuser). docs/OPERATIONS.md, "Admin at scale".
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper

from core.postgres import AddPostgresIndex


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_time_zone"),
    ]

    operations = [
        TrigramExtension(),
        AddPostgresIndex(
            model_name="user",
            index=GinIndex(
                OpClass(Upper("legal_name"), name="gin_trgm_ops"),
                name="user_legal_name_trgm",
            ),
        ),
    ]
