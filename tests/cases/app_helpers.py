"""Helpers of the cases app tests: a course with case simulations built from the
engine's sample cases (tests/cases/fixtures), and a learner's play through the
real views (each action a POST of the play page's form)."""

from __future__ import annotations

import re

from django.urls import reverse

from cases.engine.rules import rules_for
from cases.forms import action_post
from cases.models import Case, CaseAttempt, CaseRules
from core.strict_yaml import without_lines as _plain
from tests.cases.engine_helpers import load
from tests.factories import LessonFactory, ModuleFactory

# The lessons the sample cases name (tests/cases/engine_helpers.LESSONS).
SAMPLE_LESSONS = (
    "vf-pvt",
    "arrest-drugs",
    "arrest-airway",
    "adult-compressions",
    "using-an-aed",
)


def add_lessons(course, slugs=SAMPLE_LESSONS) -> dict:
    module = ModuleFactory(course=course, slug="cardiac-arrest", order=1)
    return {
        slug: LessonFactory(
            module=module, slug=slug, title=slug.replace("-", " ").title(), order=i
        )
        for i, slug in enumerate(slugs, start=1)
    }


def rule_lessons(lesson: str = "vf-pvt") -> dict[str, str]:
    return dict.fromkeys(rules_for(["acls", "bls", "lay"], team=True), lesson)


def make_case(course, data: dict | str, *, slug=None, required=False) -> Case:
    """A case row as the sync writes it, from a sample case name or its data."""
    if isinstance(data, str):
        slug = slug or data
        data = _plain(load(data))
    CaseRules.objects.get_or_create(course=course, defaults={"lessons": rule_lessons()})
    return Case.objects.create(
        course=course,
        slug=slug,
        title=data["title"],
        order=data.get("order", 0),
        toolkit=data["toolkit"],
        summary=data.get("summary", ""),
        patient=data.get("patient", ""),
        algorithm=data.get("algorithm", ""),
        is_required=required,
        definition=data,
    )


def start(client, case: Case) -> CaseAttempt:
    response = client.post(reverse("cases:start", args=[case.course.slug, case.slug]))
    assert response.status_code == 302, response
    return CaseAttempt.objects.filter(case=case).latest("pk")


def act(client, attempt: CaseAttempt, step: dict, *, json=False):
    attempt.refresh_from_db(fields=["event_count"])
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(
        reverse("cases:act", args=[attempt.pk]),
        action_post(step, attempt.event_count),
        **headers,
    )


def play(client, attempt: CaseAttempt, steps: list[dict]) -> CaseAttempt:
    """Posts each step through the real view, as the no-JavaScript form does."""
    for step in steps:
        attempt.refresh_from_db()
        if not attempt.is_open:
            break
        response = act(client, attempt, step)
        assert response.status_code == 302, (step, response.status_code)
    attempt.refresh_from_db()
    return attempt


def text(html: str) -> str:
    """The page's text with tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
