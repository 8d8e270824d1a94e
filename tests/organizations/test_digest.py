"""The weekly digest: what it lists since the last one, and that it is sent once
per organization and ISO week whoever runs it, however often."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from organizations.models import Membership, WeeklyDigest
from organizations.services import weekly_digest_send, weekly_digest_week
from organizations.tasks import send_weekly_digests
from tests.organizations.conftest import certify, member

pytestmark = pytest.mark.django_db


def send(organization, today, **kwargs):
    year, week = weekly_digest_week(today)
    return weekly_digest_send(
        organization_id=organization.pk,
        iso_year=year,
        iso_week=week,
        today=today,
        **kwargs,
    )


def test_the_digest_goes_to_every_administrator_once_a_week(
    organization, org_admin, required, bls, today, mailoutbox
):
    second = member(organization)
    Membership.objects.filter(pk=second.pk).update(role=Membership.Role.ADMIN)

    assert send(organization, today)
    assert not send(organization, today)  # the same week again: nothing
    send_weekly_digests.delay(today.isoformat())  # the beat, eagerly: nothing
    call_command("send_weekly_digests", on=today.isoformat())  # by hand: nothing

    [message] = mailoutbox
    assert sorted(message.to) == sorted([org_admin.email, second.user.email])
    assert "Mercy Hospital: weekly compliance digest" in message.subject
    assert WeeklyDigest.objects.get().sent_at is not None
    assert AuditEvent.objects.filter(action="digest.sent").count() == 1


def test_organizations_without_administrators_get_none(
    organization, required, today, mailoutbox
):
    member(organization)
    assert send_weekly_digests.delay(today.isoformat()).get() == 0
    assert mailoutbox == []


def test_the_next_digest_lists_newly_compliant_expiring_and_lapsed(
    organization, org_admin, required, bls, today, mailoutbox
):
    soon = member(organization, legal_name="Sam Soon")
    certify(soon.user, bls, expires_on=today + timedelta(days=100))
    lapsing = member(organization, legal_name="Lara Lapse")
    certify(lapsing.user, bls, expires_on=today + timedelta(days=3))
    newcomer = member(organization, legal_name="Nina New")
    assert send(organization, today)
    first = mailoutbox[0].body
    assert "This is your first digest" in first
    assert "Sam Soon" in first and "Lara Lapse" in first  # compliant, as new

    # A week later: Nina got her BLS; Lara's lapsed; Sam's is inside 90 days.
    later = today + timedelta(days=14)
    certify(newcomer.user, bls, expires_on=later + timedelta(days=700))
    mailoutbox.clear()
    with time_machine.travel(timezone.now() + timedelta(days=14)):
        assert send(organization, later)
    body = mailoutbox[0].body
    newly = body.split("Newly compliant")[1].split("Now expiring")[0]
    expiring = body.split("Now expiring")[1].split("Lapsed")[0]
    lapsed = body.split("Lapsed")[1]
    assert "Nina New" in newly and "Sam Soon" not in newly
    assert "Sam Soon: BLS expires" in expiring and "Lara" not in expiring
    assert "Lara Lapse: BLS expired" in lapsed
    assert "Changes since the last digest" in body


def test_a_member_who_stops_sharing_leaves_the_digest(
    organization, org_admin, required, bls, today, mailoutbox
):
    private = member(organization, legal_name="Pat Private")
    certify(private.user, bls, expires_on=today + timedelta(days=30))
    Membership.objects.filter(pk=private.pk).update(consent_given_at=None)

    send(organization, today)

    assert "Pat Private" not in mailoutbox[0].body
    assert "Pat Private" not in mailoutbox[0].alternatives[0][0]


def test_a_mail_server_down_releases_the_claim_for_the_retry(
    organization, org_admin, required, today, mailoutbox, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise smtplib.SMTPConnectError(421, b"try later")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with pytest.raises(smtplib.SMTPConnectError):
        send(organization, today)
    assert not WeeklyDigest.objects.exists()

    monkeypatch.undo()
    assert send(organization, today)
    assert len(mailoutbox) == 1


def test_a_claim_whose_sender_died_is_taken_over_after_the_lease(
    organization, org_admin, required, today, mailoutbox
):
    year, week = weekly_digest_week(today)
    WeeklyDigest.objects.create(
        organization=organization,
        iso_year=year,
        iso_week=week,
        claimed_at=timezone.now() - timedelta(minutes=5),
    )
    assert not send(organization, today)  # being sent (or sent) by someone else
    WeeklyDigest.objects.update(claimed_at=timezone.now() - timedelta(hours=2))
    assert send(organization, today)
    assert len(mailoutbox) == 1


def test_the_beat_runs_weekly_on_monday_morning(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["send-weekly-digests"]
    assert schedule["task"] == "organizations.tasks.send_weekly_digests"
    assert schedule["schedule"].day_of_week == {1}
