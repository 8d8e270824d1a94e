from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import Lesson
from tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


def test_lesson_preview_renders_sanitized_markdown_for_staff(staff_client, bls):
    lesson = bls.lessons.first()
    response = staff_client.post(
        reverse("admin:courses_lesson_preview"),
        {
            "module": lesson.module_id,
            "body_md": "## Hi\n\n<script>x()</script>![Strip](images/a.svg)",
        },
    )
    assert response.status_code == 200
    html = response.json()["html"]
    assert '<h2 id="hi">Hi</h2>' in html
    assert "<script" not in html
    assert 'src="/courses/bls/images/a.svg"' in html


def test_lesson_preview_is_staff_only(learner_client):
    response = learner_client.post(
        reverse("admin:courses_lesson_preview"), {"body_md": "x"}
    )
    assert response.status_code == 302
    assert "json" not in response.get("Content-Type", "")


def test_staff_edit_lesson_in_admin_and_learner_sees_change(
    staff_client, client, bls, user
):
    from courses.services import enrollment_create

    lesson = bls.lessons.first()
    page = staff_client.get(reverse("admin:courses_lesson_change", args=[lesson.pk]))
    assert page.status_code == 200
    assert "lesson-preview" in page.content.decode()
    data = {
        "module": lesson.module_id,
        "title": "Compressions, revised",
        "slug": lesson.slug,
        "minutes": 12,
        "order": lesson.order,
        "is_published": "on",
        "body_md": "## New\n\nPush at 100 to 120 per minute.",
    }
    response = staff_client.post(
        reverse("admin:courses_lesson_change", args=[lesson.pk]), data
    )
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert "100 to 120" in lesson.body_html
    enrollment_create(user=user, course=bls)
    client.force_login(user)
    learner_page = client.get(lesson.get_absolute_url()).content.decode()
    assert (
        "Compressions, revised" in learner_page
        and "100 to 120 per minute" in learner_page
    )


def test_unpublish_action_hides_lesson_from_learners(staff_client, bls):
    lesson = LessonFactory(module=bls.modules.first(), slug="extra")
    staff_client.post(
        reverse("admin:courses_lesson_changelist"),
        {"action": "unpublish", "_selected_action": [lesson.pk]},
    )
    assert not Lesson.objects.get(pk=lesson.pk).is_published


def test_admin_lists_and_searches(staff_client, bls):
    for name in ("course", "module", "lesson"):
        response = staff_client.get(
            reverse(f"admin:courses_{name}_changelist") + "?q=a"
        )
        assert response.status_code == 200
