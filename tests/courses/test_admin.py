from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import CourseImage, Lesson
from tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


def test_lesson_preview_renders_sanitized_markdown_for_staff(staff_client, bls):
    lesson = bls.lessons.first()
    CourseImage.objects.create(
        course=bls, path="images/a.svg", content_type="image/svg+xml", data=b""
    )
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
        reverse("admin:courses_lesson_preview"), {"body_md": "**secret draft**"}
    )
    # The learner is sent to the admin log-in and gets no rendered Markdown.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert b"secret draft" not in response.content


@pytest.mark.parametrize("module", ["abc", "1; DROP TABLE", "1.5", "-3"])
def test_lesson_preview_with_a_module_that_is_not_an_id_is_a_clear_400(
    staff_client, bls, module
):
    response = staff_client.post(
        reverse("admin:courses_lesson_preview"), {"module": module, "body_md": "Hi"}
    )
    assert response.status_code == 400
    assert "module" in response.json()["error"]
    assert "html" not in response.json()
    # The same preview with a real module still renders.
    valid = staff_client.post(
        reverse("admin:courses_lesson_preview"),
        {"module": bls.modules.first().pk, "body_md": "**Hi**"},
    )
    assert valid.status_code == 200
    assert "<strong>Hi</strong>" in valid.json()["html"]


def test_lesson_preview_of_an_unknown_image_shows_a_placeholder_not_a_request(
    staff_client, bls
):
    response = staff_client.post(
        reverse("admin:courses_lesson_preview"),
        {
            "module": bls.modules.first().pk,
            "body_md": "![Strip](images/%2e%2e/%2e%2e/accounts/email/)",
        },
    )
    html = response.json()["html"]
    assert "<img" not in html
    assert "[Image not available: Strip]" in html


def test_course_image_path_is_read_only_in_the_admin(staff_client, bls):
    image = CourseImage.objects.create(
        course=bls, path="images/a.svg", content_type="image/svg+xml", data=b"<svg/>"
    )
    url = reverse("admin:courses_courseimage_change", args=[image.pk])
    page = staff_client.get(url).content.decode()
    assert "images/a.svg" in page
    assert 'name="path"' not in page
    staff_client.post(
        url, {"course": bls.pk, "path": "/etc/evil.svg", "content_type": "text/html"}
    )
    image.refresh_from_db()
    assert (image.path, image.content_type) == ("images/a.svg", "image/svg+xml")
    # Images come only from content/ (there is nothing to upload here).
    assert staff_client.get(reverse("admin:courses_courseimage_add")).status_code == 403


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


def test_admin_lists_and_searches(staff_client, bls, acls):
    bls.modules.update(title="Adult CPR")
    acls.modules.update(title="Rhythms")
    Lesson.objects.filter(slug="vf").update(title="Ventricular fibrillation")
    Lesson.objects.filter(course=bls).update(title="Compressions")
    for name, query, shown, hidden in (
        ("course", "Advanced", "Advanced Cardiovascular Life Support", "Basic Life"),
        ("module", "Adult", "Adult CPR", "Rhythms"),
        ("lesson", "fibrillation", "Ventricular fibrillation", "Compressions"),
    ):
        page = staff_client.get(
            reverse(f"admin:courses_{name}_changelist"), {"q": query}
        ).content.decode()
        assert shown in page, name
        assert hidden not in page, name
        assert "1 result" in page, name


def test_course_list_queries_do_not_grow_with_the_catalog(staff_client, bls):
    """The "edited since sync" column reads each course's prerequisites:
    prefetched."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CourseFactory

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = staff_client.get(reverse("admin:courses_course_changelist"))
        assert page.status_code == 200
        return len(queries)

    # Synced rows: only those have a fingerprint to compare.
    for i in range(4):
        CourseFactory(slug=f"c{i}", prerequisites=[bls], synced_hash="0" * 64)
    few = list_queries()
    for i in range(4, 39):
        CourseFactory(slug=f"c{i}", prerequisites=[bls], synced_hash="0" * 64)
    assert (
        "40 courses"
        in staff_client.get(reverse("admin:courses_course_changelist")).content.decode()
    )
    assert list_queries() == few
