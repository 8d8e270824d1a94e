"""The case pages through the test client: who may see what (the learner's own
attempt only), CSRF, refusals with their reasons and nothing changed, and a fixed
number of queries per action whatever the case's length."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases import services
from cases.engine.testing import long_case
from cases.forms import action_post
from cases.models import CaseAttempt, CaseEvent
from cases.services import case_attempt_abandon
from tests.cases.app_helpers import (
    act,
    make_case,
    play,
    start,
    text,
)
from tests.factories import EnrollmentFactory, UserFactory, login_with_mfa

pytestmark = pytest.mark.django_db


def pages(attempt):
    course, case = attempt.case.course.slug, attempt.case.slug
    return {
        "play": ("get", reverse("cases:play", args=[attempt.pk])),
        "debrief": ("get", reverse("cases:debrief", args=[attempt.pk])),
        "act": ("post", reverse("cases:act", args=[attempt.pk])),
        "abandon": ("post", reverse("cases:abandon", args=[attempt.pk])),
        "briefing": ("get", reverse("cases:briefing", args=[course, case])),
    }


def test_the_course_lists_its_cases_with_the_learners_status(
    learner, vf_case, lay_case
):
    vf_case.is_required = True
    vf_case.save()
    start(learner, vf_case)
    body = text(learner.get(reverse("cases:list", args=["sim"])).content.decode())
    assert "Required to unlock the final exam" in body
    assert "Collapse in the waiting room In progress" in body
    assert "Practice cases" in body and "A shopper collapses" in body


def test_the_course_home_links_to_the_case_simulations(learner, course, vf_case):
    vf_case.is_required = True
    vf_case.save()
    make_case(course, "mall-collapse")
    page = learner.get(reverse("courses:home", args=["sim"])).content.decode()
    assert reverse("cases:list", args=["sim"]) in page
    assert "1 of the 2 cases must be passed before the final exam" in text(page)


def test_a_course_without_cases_shows_no_link(learner, course):
    page = learner.get(reverse("courses:home", args=["sim"])).content.decode()
    assert 'id="case-simulations"' not in page


def test_the_briefing_shows_the_scene_but_never_the_answer(learner, vf_case):
    page = learner.get(vf_case.get_absolute_url()).content.decode()
    assert vf_case.patient in page and "Start the case" in page
    assert vf_case.algorithm not in page  # the debrief names it, not the briefing
    assert "vf" not in text(page).lower().split()


def test_the_play_page_shows_only_what_the_engine_lets_it(learner, vf_case):
    attempt = start(learner, vf_case)
    page = learner.get(reverse("cases:play", args=[attempt.pk])).content.decode()
    assert 'id="case-log"' in page and 'aria-live="polite"' in page
    assert "slumps in his chair" in page
    for secret in ("vf-coarse", "collapse", "rosc", "first-shock", "goto", "m-10.svg"):
        assert secret not in page.lower().replace("collapse in the waiting", "")
    # Every option of a parameter is offered, never only the right one.
    for energy in ("120", "150", "200", "300", "360"):
        assert f'name="shock.energy" value="{energy}"' in page
    assert "epinephrine:1mg-ivio" in page and "epinephrine:0.1mg-iv" in page
    assert page.count("<form") >= 8  # one per action, plus stopping


def test_another_learner_gets_404_on_every_attempt_page(learner, vf_case):
    attempt = start(learner, vf_case)
    other = Client()
    intruder = UserFactory()
    EnrollmentFactory(user=intruder, course=vf_case.course)
    other.force_login(intruder)
    for name, (method, url) in pages(attempt).items():
        if name == "briefing":
            continue
        data = action_post({"do": "attach_pads"}, attempt.event_count)
        response = getattr(other, method)(url, data if method == "post" else None)
        assert response.status_code == 404, name
    attempt.refresh_from_db()
    assert attempt.is_open and attempt.event_count == 1


def staff_browser(staff) -> Client:
    browser = Client()
    login_with_mfa(browser, staff)
    return browser


def test_staff_get_404_too_they_read_attempts_in_the_admin(learner, staff, vf_case):
    attempt = start(learner, vf_case)
    act(learner, attempt, {"do": "terminate"})
    for name in ("play", "debrief"):
        assert staff_browser(staff).get(pages(attempt)[name][1]).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, learner, vf_case):
    attempt = start(learner, vf_case)
    anonymous = Client()
    for name, (method, url) in pages(attempt).items():
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302, name
        assert "/accounts/login/" in response["Location"]


def test_actions_need_the_csrf_token(user, enrollment, vf_case):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(reverse("cases:start", args=["sim", vf_case.slug]))
    assert response.status_code == 403
    assert not CaseAttempt.objects.exists()


def test_a_stale_page_is_sent_back_to_the_case_with_the_reason(learner, vf_case):
    attempt = start(learner, vf_case)
    act(learner, attempt, {"do": "check_breathing_pulse"})
    attempt.refresh_from_db()
    count = attempt.event_count
    url = reverse("cases:act", args=[attempt.pk])
    # The no-JavaScript form: post, redirect, get, with the reason.
    response = learner.post(url, action_post({"do": "attach_pads"}, 1), follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:play", args=[attempt.pk])
    assert "was out of date" in text(response.content.decode())
    # The page's script: 409 with the reason and the case as it stands.
    response = learner.post(
        url, action_post({"do": "attach_pads"}, 1), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 409
    assert "out of date" in response.json()["error"]
    assert response.json()["expected_seq"] == count
    attempt.refresh_from_db()
    assert attempt.event_count == count


def test_a_double_submit_applies_the_action_once(learner, vf_case):
    attempt = start(learner, vf_case)
    data = action_post({"do": "attach_pads"}, attempt.event_count)
    url = reverse("cases:act", args=[attempt.pk])
    learner.post(url, data)
    learner.post(url, data)
    assert CaseEvent.objects.filter(attempt=attempt, code="attach_pads").count() == 1


@pytest.mark.parametrize("as_json", [False, True])
def test_a_bad_action_is_400_with_its_reason_and_nothing_changes(
    learner, vf_case, as_json
):
    attempt = start(learner, vf_case)
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    response = learner.post(
        reverse("cases:act", args=[attempt.pk]),
        {"code": "shock", "expected_seq": 1, "shock.energy": ""},
        **headers,
    )
    assert response.status_code == 400
    message = response.json()["error"] if as_json else text(response.content.decode())
    assert "Choose a" in message and "Nothing was changed" in message
    attempt.refresh_from_db()
    assert (attempt.event_count, attempt.sim_seconds) == (1, 0)


def test_a_form_without_its_place_in_the_case_is_400(learner, vf_case):
    attempt = start(learner, vf_case)
    response = learner.post(
        reverse("cases:act", args=[attempt.pk]), {"code": "attach_pads"}
    )
    assert response.status_code == 400
    assert "reload it" in text(response.content.decode())


@pytest.mark.usefixtures("clock")  # the limit counts in fixed windows
def test_malformed_actions_count_towards_the_rate_limit(learner, vf_case, monkeypatch):
    """A script posting garbage is throttled like one posting actions: each post
    costs the server the same page, valid or not."""
    monkeypatch.setitem(services.RATE_LIMITS, "act", 2)
    attempt = start(learner, vf_case)
    url = reverse("cases:act", args=[attempt.pk])
    for _ in range(2):
        assert learner.post(url, {"code": "attach_pads"}).status_code == 400
    response = learner.post(url, {"code": "attach_pads"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    response = act(learner, attempt, {"do": "attach_pads"})
    assert response.status_code == 429
    attempt.refresh_from_db()
    assert attempt.event_count == 1


def test_an_ended_case_sends_the_learner_to_the_debrief(learner, vf_case):
    attempt = start(learner, vf_case)
    learner.post(reverse("cases:abandon", args=[attempt.pk]))
    play = learner.get(reverse("cases:play", args=[attempt.pk]))
    assert play["Location"] == reverse("cases:debrief", args=[attempt.pk])
    response = act(learner, attempt, {"do": "attach_pads"})
    assert response["Location"] == reverse("cases:debrief", args=[attempt.pk])


def test_the_debrief_links_each_finding_to_its_lesson(learner, vf_case, course):
    attempt = start(learner, vf_case)
    act(learner, attempt, {"do": "terminate"})
    page = learner.get(reverse("cases:debrief", args=[attempt.pk])).content.decode()
    body = text(page)
    assert "Not passed" in body
    assert course.lessons_by_slug["vf-pvt"].get_absolute_url() in page
    # The same case comes back on the retake: what was missed, when, the expected
    # path and the algorithm (which names the rhythm) would be its answer key.
    assert "Shock VF as soon as the defibrillator is ready." not in body
    assert "first-shock" not in page
    assert "Expected path" not in body
    assert vf_case.algorithm not in body
    # The findings stay on the attempt, for staff.
    attempt.refresh_from_db()
    assert any(
        f["debrief"] == "Shock VF as soon as the defibrillator is ready."
        for f in attempt.findings
    )
    # A retake waits for the lessons: the page says which.
    assert "opens once you have opened the lessons your debrief linked" in body


def test_a_failed_debrief_does_not_even_build_the_answer_key(learner, vf_case):
    """The template hides them, and the selector does not hand them over either:
    no later template or JSON can leak the expected path or the algorithm."""
    attempt = start(learner, vf_case)
    act(learner, attempt, {"do": "terminate"})
    response = learner.get(reverse("cases:debrief", args=[attempt.pk]))
    debrief = response.context["debrief"]
    assert not debrief.passed
    assert (debrief.expected, debrief.algorithm, debrief.sources) == ([], "", [])


def test_a_passed_debrief_shows_the_expected_path_and_the_algorithm(learner, vf_case):
    attempt = play(learner, start(learner, vf_case), vf_case.definition["ideal"])
    assert attempt.passed
    page = learner.get(reverse("cases:debrief", args=[attempt.pk])).content.decode()
    body = text(page)
    assert "Passed" in body and "Expected path" in body
    assert vf_case.algorithm in body


def test_an_open_attempt_has_no_debrief_yet(learner, vf_case):
    attempt = start(learner, vf_case)
    response = learner.get(reverse("cases:debrief", args=[attempt.pk]))
    assert response["Location"] == reverse("cases:play", args=[attempt.pk])


@pytest.mark.usefixtures("clock")  # the limit counts in fixed windows
def test_too_many_starts_get_429_with_retry_after(learner, vf_case):
    url = reverse("cases:start", args=["sim", vf_case.slug])
    for _ in range(10):
        learner.post(url)
    response = learner.post(url)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_statistics_are_for_staff(learner, staff, vf_case):
    attempt = start(learner, vf_case)
    act(learner, attempt, {"do": "terminate"})
    url = reverse("cases:statistics", args=[vf_case.pk])
    assert learner.get(url).status_code == 302  # to the admin log-in
    body = text(staff_browser(staff).get(url).content.decode())
    assert "Pass rate 0% (0 of 1)" in body
    assert "first-shock" in body


# --- a fixed number of queries per action ----------------------------------------


def post(client, attempt, step, as_json=False):
    """One action as the page posts it, the attempt's `event_count` already read."""
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    return client.post(
        reverse("cases:act", args=[attempt.pk]),
        action_post(step, attempt.event_count),
        **headers,
    )


# The user (the session is read from the cache); the attempt locked (with its case
# and course); the savepoint pair of the service's transaction; the new log lines
# (one insert); the attempt (one update). Whatever the case's length or how far the attempt has gone.
ACTION_QUERIES = 6


@pytest.mark.parametrize("scenes", [3, 80])
@pytest.mark.parametrize("as_json", [False, True])
def test_an_action_costs_the_same_queries_whatever_the_case_length(
    learner, course, django_assert_num_queries, scenes, as_json
):
    case = make_case(course, long_case(scenes), slug=f"walk-{scenes}")
    attempt = start(learner, case)
    for _ in range(scenes - 2):  # far into the case, or just started
        act(learner, attempt, {"do": "reassess"})
    attempt.refresh_from_db()
    assert attempt.is_open
    with django_assert_num_queries(ACTION_QUERIES):
        response = post(learner, attempt, {"do": "check_responsiveness"}, as_json)
    assert response.status_code == (200 if as_json else 302)


def test_an_action_in_a_fresh_process_reads_the_definition_once(
    learner, course, django_assert_num_queries
):
    from cases import definitions

    case = make_case(course, long_case(5), slug="walk")
    attempt = start(learner, case)
    definitions._definitions.clear()
    with django_assert_num_queries(ACTION_QUERIES + 1):
        post(learner, attempt, {"do": "reassess"})
    attempt.refresh_from_db()
    with django_assert_num_queries(ACTION_QUERIES):
        post(learner, attempt, {"do": "reassess"})


def test_the_finishing_action_scores_in_a_fixed_number_of_queries_too(
    learner, course, django_assert_num_queries
):
    case = make_case(course, long_case(3), slug="walk")
    attempt = start(learner, case)
    act(learner, attempt, {"do": "reassess"})
    attempt.refresh_from_db()
    # + the enrollment locked and the completion rules, since it passed (here the
    # first rule already says no: the course's lessons are not done).
    with django_assert_num_queries(ACTION_QUERIES + 2):
        post(learner, attempt, {"do": "reassess"})
    attempt.refresh_from_db()
    assert attempt.passed is True


def test_abandoning_is_its_learners_only(learner, vf_case, user):
    attempt = start(learner, vf_case)
    with pytest.raises(Exception):  # noqa: B017, PT011 - NotFound for someone else
        case_attempt_abandon(attempt_id=attempt.pk, user=UserFactory())
    attempt.refresh_from_db()
    assert attempt.is_open
