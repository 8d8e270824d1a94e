"""Enrollment.lesson_views_current_from (issue 19: a lesson page's GET writes only
when the opening counts for something).

Added null (every opening of a null row is written), and only then given its
default (the creation moment) for new enrollments: a default given with the
AddField would fill existing rows with the migration's moment and hide their
failures. exams 0013 then gives existing rows the mark their history implies."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("courses", "0006_enrollment_admin_list_index")]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="lesson_views_current_from",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="enrollment",
            name="lesson_views_current_from",
            field=models.DateTimeField(
                blank=True,
                default=django.utils.timezone.now,
                editable=False,
                null=True,
            ),
        ),
    ]
