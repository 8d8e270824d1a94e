from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations, models
from django.db.models.functions import Upper

from core.postgres import AddPostgresIndex


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0009_sweeper_window_indexes'),
        # The trigram extension.
        ('accounts', '0006_legal_name_trigram_search'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='certificate',
            index=models.Index(fields=['-issued_at', '-id'], name='certificate_recent_idx'),
        ),
        migrations.AddIndex(
            model_name='certificate',
            index=models.Index(condition=models.Q(('email_failed_at__isnull', False)), fields=['email_failed_at'], name='certificate_email_refused_idx'),
        ),
        migrations.AddIndex(
            model_name='renewalreminder',
            index=models.Index(fields=['-claimed_at', '-id'], name='reminder_recent_idx'),
        ),
        migrations.AddIndex(
            model_name='renewalreminder',
            index=models.Index(condition=models.Q(('failed_at__isnull', False)), fields=['failed_at'], name='reminder_refused_idx'),
        ),
        # The admin's search of holder names (PostgreSQL only: core.postgres).
        AddPostgresIndex(
            model_name='certificate',
            index=GinIndex(
                OpClass(Upper('holder_name'), name='gin_trgm_ops'),
                name='certificate_holder_trgm',
            ),
        ),
    ]
