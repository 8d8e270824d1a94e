"""Every shipped case (content/*/cases/*.yaml) played through the real views, on the
server's simulated clock: its ideal path passes, and each way to fail it that the
engine finds (cases.engine.testing.error_paths: every critical error the case can
hit, every critical requirement skipped) fails with that finding's debrief line on
the debrief: the line is recorded on the attempt (staff read it in the admin) and
the learner's page names the lesson that teaches it, never the line (the case is the
same on the retake).
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cases.engine import Definition
from cases.engine.rules import RULES
from cases.engine.testing import error_paths
from cases.models import Case, CaseRules
from core.strict_yaml import load_yaml, without_lines
from tests.cases.app_helpers import play, start, text
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def shipped() -> list[tuple[str, Path]]:
    files = sorted(
        path
        for path in Path(settings.CONTENT_DIR).glob("*/cases/*.yaml")
        if path.name != "rules.yaml"
    )
    assert files, "no case files under content/*/cases/"
    return [(path.parent.parent.name, path) for path in files]


CASES = shipped()


def read(path: Path) -> dict:
    return without_lines(load_yaml(path.read_text(), first_line=1))


def course_rules(course_slug: str, path: Path) -> dict[str, str]:
    rules = path.parent / "rules.yaml"
    return read(rules)


def lesson_title(slug: str) -> str:
    return f"Lesson {slug}"


def lessons_named(definition: dict, rules: dict[str, str]) -> set[str]:
    named = set(rules.values())
    for scene in definition["states"].values():
        for key in ("critical", "errors", "deviations"):
            named |= {
                item["lesson"] for item in scene.get(key) or [] if "lesson" in item
            }
    return named


@pytest.fixture
def shipped_case(request):
    course_slug, path = request.param
    data = read(path)
    rules = course_rules(course_slug, path)
    course = CourseFactory(slug=f"{course_slug}-cases", code="SHIP")
    module = ModuleFactory(course=course, slug="lessons")
    for order, slug in enumerate(sorted(lessons_named(data, rules))):
        LessonFactory(module=module, slug=slug, title=lesson_title(slug), order=order)
    CaseRules.objects.create(course=course, lessons=rules)
    case = Case.objects.create(
        course=course,
        slug=path.stem,
        title=data["title"],
        order=data.get("order", 0),
        toolkit=data["toolkit"],
        summary=data.get("summary", ""),
        patient=data.get("patient", ""),
        algorithm=data.get("algorithm", ""),
        is_required=True,
        definition=data,
    )
    return case, Definition(data, rule_lessons=rules)


def learner_for(case: Case) -> Client:
    """A fresh learner for each play: pacing never stands between two paths."""
    user = UserFactory()
    EnrollmentFactory(user=user, course=case.course)
    client = Client()
    client.force_login(user)
    return client


def debrief_text(client, attempt) -> str:
    page = client.get(reverse("cases:debrief", args=[attempt.pk]))
    assert page.status_code == 200
    return html.unescape(text(page.content.decode()))


@pytest.mark.parametrize(
    "shipped_case", CASES, ids=[f"{c}/{p.stem}" for c, p in CASES], indirect=True
)
def test_a_shipped_case_passes_on_its_ideal_path_and_fails_on_each_error(
    shipped_case,
):
    case, definition = shipped_case
    client = learner_for(case)
    attempt = play(client, start(client, case), definition.data["ideal"])
    assert attempt.status == "finished", "the ideal path must end the case"
    assert attempt.passed, attempt.findings
    assert "Passed" in debrief_text(client, attempt)

    paths = error_paths(definition)
    assert paths, "a case has at least one way to fail"
    for path in paths:
        client = learner_for(case)
        attempt = play(client, start(client, case), list(path.steps))
        if attempt.is_open:
            client.post(reverse("cases:abandon", args=[attempt.pk]))
            attempt.refresh_from_db()
        assert attempt.passed is False, path.id
        found = [f for f in attempt.findings if f["id"] == path.id]
        assert found, (path.id, [f["id"] for f in attempt.findings])
        line = found[0]["debrief"]
        if path.id in RULES:
            assert line == RULES[path.id].debrief
        body = debrief_text(client, attempt)
        assert "Not passed" in body
        # The page names the lesson to review, never the line itself nor the
        # expected path: the same case comes back on the retake.
        assert found[0]["lesson"] and lesson_title(found[0]["lesson"]) in body
        assert " ".join(line.split()) not in body, (path.id, line)
        assert "Expected path" not in body
