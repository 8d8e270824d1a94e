"""Enrollment.lesson_views_current_from (issue 19: a lesson page's GET writes only
when the opening counts for something).

Added null (every opening of a null row is written), and only then given its
default (the creation moment) for new enrollments. A default given with the
AddField would stamp every existing row with the migration's moment: safe (a later
mark only has more openings written) but true of no row's history. exams 0013 then
gives existing rows the mark their history implies."""

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
