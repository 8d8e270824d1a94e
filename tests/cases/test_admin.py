"""Cases in the admin: the definition edited as its file's YAML and checked by the
engine with line numbers, conflicts with the content sync, attempts read-only with
their log, and the statistics beside them."""

from __future__ import annotations

import json
from hashlib import sha256

import pytest
from django.urls import reverse

from cases.files import case_yaml
from cases.models import Case
from cases.services import case_attempt_act, case_attempt_start
from courses.models import CourseImage
from tests.cases.app_helpers import text

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>'


@pytest.fixture
def synced_case(vf_case):
    """The sample case as the sync leaves it: strips stored, fingerprint set."""
    for strip in ("m-02", "m-05", "m-10"):
        CourseImage.objects.create(
            course=vf_case.course,
            path=f"images/ecg/monitor/{strip}.svg",
            content_type="image/svg+xml",
            data=SVG,
            sha256=sha256(SVG).hexdigest(),
        )
    vf_case.synced_hash = vf_case.content_fingerprint()
    vf_case.save()
    return vf_case


def change(case: Case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def form(case: Case, yaml_text: str) -> dict:
    return {
        "is_required": "on" if case.is_required else "",
        "is_active": "on",
        "definition_yaml": yaml_text,
        "_save": "Save",
    }


def test_the_definition_is_edited_as_its_yaml(staff_client, synced_case):
    page = staff_client.get(change(synced_case)).content.decode()
    assert "title: Collapse in the waiting room" in page
    assert "Attempts, pass rate and frequent errors" in page


def test_saving_the_yaml_unchanged_changes_nothing(staff_client, synced_case):
    response = staff_client.post(
        change(synced_case), form(synced_case, case_yaml(synced_case.definition))
    )
    assert response.status_code == 302
    synced_case.refresh_from_db()
    assert not synced_case.edited_since_sync


def test_an_edit_updates_the_columns_and_is_a_sync_conflict(staff_client, synced_case):
    yaml_text = case_yaml(synced_case.definition).replace(
        "title: Collapse in the waiting room", "title: A man slumps in his chair"
    )
    response = staff_client.post(change(synced_case), form(synced_case, yaml_text))
    assert response.status_code == 302
    synced_case.refresh_from_db()
    assert synced_case.title == "A man slumps in his chair"
    assert synced_case.definition["title"] == "A man slumps in his chair"
    assert synced_case.edited_since_sync
    listing = staff_client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert "icon-yes.svg" in listing  # "Edited since sync"


def test_a_mistake_is_shown_with_its_line_and_nothing_is_saved(
    staff_client, synced_case
):
    lines = case_yaml(synced_case.definition).splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "do: shock" in line)
    lines[number - 1] = lines[number - 1].replace("do: shock", "do: shok")
    response = staff_client.post(
        change(synced_case), form(synced_case, "\n".join(lines))
    )
    assert response.status_code == 200
    body = text(response.content.decode())
    assert f"line {number}:" in body and "shok" in body
    synced_case.refresh_from_db()
    assert not synced_case.edited_since_sync


def test_invalid_yaml_is_shown_with_its_line(staff_client, synced_case):
    response = staff_client.post(
        change(synced_case), form(synced_case, "title: [unclosed\norder: 1\n")
    )
    assert response.status_code == 200
    assert "line 1: invalid YAML" in text(response.content.decode())


def test_attempts_are_read_only_with_their_log(staff_client, user, enrollment, vf_case):
    attempt, _ = case_attempt_start(user=user, case=vf_case)
    case_attempt_act(
        attempt_id=attempt.pk, user=user, code="attach_pads", params={}, expected_seq=1
    )
    url = reverse("admin:cases_caseattempt_change", args=[attempt.pk])
    page = text(staff_client.get(url).content.decode())
    assert "slumps in his chair" in page and "0:00" in page
    assert staff_client.post(url, {}).status_code == 403
    delete = reverse("admin:cases_caseattempt_delete", args=[attempt.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403


def test_rule_lessons_are_checked_like_rules_yaml(staff_client, vf_case):
    rules = vf_case.course.case_rules
    url = reverse("admin:cases_caserules_change", args=[rules.pk])
    lessons = dict(rules.lessons)
    lessons.pop("cpr-pause-over-10s")
    lessons["shock-nonshockable"] = "no-such-lesson"
    response = staff_client.post(
        url, {"course": rules.course_id, "lessons": json.dumps(lessons)}
    )
    assert response.status_code == 200
    body = text(response.content.decode())
    assert "no-such-lesson" in body and "cpr-pause-over-10s" in body
    rules.refresh_from_db()
    assert rules.lessons["shock-nonshockable"] == "vf-pvt"


@pytest.mark.parametrize(
    "yaml_text",
    [
        pytest.param("title: " + "[" * 3000 + "]" * 3000, id="nested-lists"),
        pytest.param("title: " + "{a: " * 3000 + "1" + "}" * 3000, id="nested-maps"),
    ],
)
def test_deeply_nested_yaml_is_refused_not_a_server_error(
    staff_client, synced_case, yaml_text
):
    response = staff_client.post(change(synced_case), form(synced_case, yaml_text))
    assert response.status_code == 200
    assert "line 1: nested too deeply" in text(response.content.decode())
    synced_case.refresh_from_db()
    assert not synced_case.edited_since_sync


def test_an_oversized_definition_is_refused_before_it_is_read(
    staff_client, synced_case
):
    padding = "# " + "x" * 100 + "\n"
    yaml_text = case_yaml(synced_case.definition) + padding * 2500
    response = staff_client.post(change(synced_case), form(synced_case, yaml_text))
    assert response.status_code == 200
    assert "too long" in text(response.content.decode())
    synced_case.refresh_from_db()
    assert not synced_case.edited_since_sync
