from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_cases_and_attempts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='caseattempt',
            index=models.Index(fields=['-started_at', '-id'], name='case_attempt_recent_idx'),
        ),
    ]
