from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

SUPERSEDED = (
    "Superseded by a later upload: staff review one card per learner at a time, "
    "and the newest one is the one under review."
)


def keep_newest_pending(apps, schema_editor):
    """Before the constraint: a learner with several pending cards keeps the newest
    pending; the older ones are closed as superseded (no e-mail: the learner sent
    the newer card themselves)."""
    ExternalCertificate = apps.get_model("certificates", "ExternalCertificate")
    now = timezone.now()
    pending = ExternalCertificate.objects.filter(status="pending")
    seen = set()
    for card in pending.order_by("user_id", "-uploaded_at", "-pk"):
        if card.user_id not in seen:
            seen.add(card.user_id)
            continue
        card.status = "rejected"
        card.reviewed_at = now
        card.review_note = SUPERSEDED
        card.decision_emailed_at = now
        card.save(
            update_fields=["status", "reviewed_at", "review_note", "decision_emailed_at"]
        )


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0003_claim_emails_before_sending'),
        ('courses', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(keep_newest_pending, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='externalcertificate',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('user',), name='external_one_pending_per_user'),
        ),
    ]
