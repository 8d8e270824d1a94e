"""Playing a case through the real views: start, actions (the no-JavaScript form,
post-redirect-get, and the JSON the page asks for), the debrief."""

from __future__ import annotations

from django.urls import reverse

from cases.models import CaseAttempt, CaseEvent
from tests.cases.app_helpers import act, play, start, text
from tests.cases.engine_helpers import load


def ideal(name):
    return load(name)["ideal"]


def test_the_ideal_path_passes_and_the_debrief_says_so(learner, vf_case):
    attempt = start(learner, vf_case)
    attempt = play(learner, attempt, ideal("ed-collapse"))
    assert attempt.status == CaseAttempt.Status.FINISHED
    assert attempt.passed is True
    assert attempt.first_shock_seconds is not None
    page = learner.get(reverse("cases:debrief", args=[attempt.pk]))
    assert page.status_code == 200
    body = text(page.content.decode())
    assert "Passed" in body
    assert vf_case.algorithm in body
    assert "Expected path" in body


def test_a_json_action_returns_the_new_view_and_only_the_new_log_lines(
    learner, vf_case
):
    attempt = start(learner, vf_case)
    before = attempt.event_count
    response = act(learner, attempt, {"do": "check_breathing_pulse"}, json=True)
    assert response.status_code == 200
    data = response.json()
    assert [line["seq"] for line in data["log"]] == list(
        range(before, data["expected_seq"])
    )
    assert data["expected_seq"] == CaseEvent.objects.filter(attempt=attempt).count()
    assert data["view"]["t"] == 10
    assert "states" not in data["view"]
