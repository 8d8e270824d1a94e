"""Fuzzing the answer payload: anything but answers to this attempt's questions with
the keys it presented is refused with a 400, and changes nothing."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exams.models import Attempt
from exams.services import exam_attempt_start
from tests.exams.conftest import complete_lessons
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def saved(attempt: Attempt) -> dict[int, str]:
    return dict(
        attempt.items.exclude(selected_key="").values_list("position", "selected_key")
    )


def payloads(attempt: Attempt, other: Attempt):
    """Valid answers, valid answers with something wrong mixed in, and noise: field
    names and values mixing the real ones, near misses and arbitrary text."""
    count = attempt.question_count
    pairs = [
        (item.field_name, key) for item in attempt.items.all() for key in item.keys
    ]
    real_keys = [key for _, key in pairs]
    foreign_keys = [key for item in other.items.all() for key in item.keys]
    valid = st.lists(st.sampled_from(pairs), max_size=count).map(
        lambda chosen: {name: [key] for name, key in chosen}
    )
    extras = st.fixed_dictionaries(
        {},
        optional={
            "csrfmiddlewaretoken": st.just(["token"]),
            "action": st.sampled_from([["save"], ["submit"]]),
        },
    )
    names = st.one_of(
        st.sampled_from(
            [f"q{n}" for n in range(0, count + 2)]
            + ["csrfmiddlewaretoken", "action", "q", "Q1", "q01", "q1 ", "", "q-1"]
        ),
        st.text(max_size=6),
    )
    values = st.one_of(
        st.sampled_from([*real_keys, *foreign_keys, "save", "submit", ""]),
        st.text(max_size=10),
    )
    noise = st.dictionaries(names, st.lists(values, min_size=1, max_size=3), max_size=4)
    merge = st.tuples(valid, extras, noise).map(lambda ds: ds[0] | ds[1] | ds[2])
    return st.one_of(
        st.tuples(valid, extras).map(lambda ds: ds[0] | ds[1]), merge, noise
    )


def expected(attempt_keys: dict[str, set[str]], payload: dict[str, list[str]]):
    """The answers a payload sets ({position: key}), or None when it must be refused."""
    answers = {}
    for name, values in payload.items():
        if name == "csrfmiddlewaretoken":
            continue
        if len(values) != 1:
            return None
        if name == "action":
            if values[0] not in ("save", "submit"):
                return None
            continue
        if values[0] not in attempt_keys.get(name, ()):
            return None
        answers[int(name[1:])] = values[0]
    return answers


@pytest.fixture
def other_attempt(module_exam, bls):
    """Another learner's attempt of the same exam: a source of foreign keys."""
    enrollment = EnrollmentFactory(course=bls)
    complete_lessons(enrollment)
    return exam_attempt_start(user=enrollment.user, exam=module_exam)[0]


def test_fuzzed_autosave_payloads_save_exactly_the_valid_ones(
    learner_client, attempt, other_attempt
):
    url = reverse("exams:answer", args=[attempt.pk])
    keys = {item.field_name: set(item.keys) for item in attempt.items.all()}
    state = saved(attempt)

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(payload=payloads(attempt, other_attempt))
    def check(payload):
        response = learner_client.post(
            url, urlencode(payload, doseq=True), content_type=FORM
        )
        answers = expected(keys, payload)
        if answers is None:
            assert response.status_code == 400, payload
            assert "error" in response.json()
        else:
            assert response.status_code == 204, payload
            state.update(answers)
        assert saved(attempt) == state

    check()
    attempt.refresh_from_db()
    assert attempt.is_open


def test_fuzzed_invalid_submits_are_refused_and_the_attempt_stays_open(
    learner_client, attempt, other_attempt
):
    url = reverse("exams:attempt", args=[attempt.pk])
    keys = {item.field_name: set(item.keys) for item in attempt.items.all()}

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(payload=payloads(attempt, other_attempt))
    def check(payload):
        assume(expected(keys, payload) is None)
        # 200 submits in a row would meet the submit rate limit (tested in
        # test_pacing.py); each example starts a fresh window.
        cache.clear()
        response = learner_client.post(
            url, urlencode(payload, doseq=True), content_type=FORM
        )
        assert response.status_code == 400, payload
        assert saved(attempt) == {}
        assert Attempt.objects.get(pk=attempt.pk).is_open

    check()
