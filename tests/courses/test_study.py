from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import LifelineError
from courses.models import LessonProgress
from courses.services import lesson_complete
from tests.factories import (
    EnrollmentFactory,
    LessonFactory,
    UserFactory,
    login_with_mfa,
)

pytestmark = pytest.mark.django_db


def lesson_url(lesson):
    return reverse(
        "courses:lesson", args=[lesson.course.slug, lesson.module.slug, lesson.slug]
    )


def test_lessons_of_a_course_you_are_not_enrolled_in_send_you_to_the_course_page(
    learner_client, bls
):
    lesson = bls.lessons.first()
    response = learner_client.get(lesson_url(lesson))
    assert response.status_code == 302
    assert response["Location"] == bls.get_absolute_url()
    home = learner_client.get(reverse("courses:home", args=["bls"]))
    assert home["Location"] == bls.get_absolute_url()


def test_enrol_read_complete_and_resume(learner_client, bls):
    response = learner_client.post(reverse("courses:enroll", args=["bls"]))
    assert response["Location"] == reverse("courses:home", args=["bls"])
    first, second = bls.lessons.order_by("order")
    page = learner_client.get(lesson_url(first))
    assert page.status_code == 200
    assert "Push hard and fast" in page.content.decode()
    done = learner_client.post(
        reverse("courses:lesson_complete", args=["bls", first.module.slug, first.slug])
    )
    assert done["Location"] == lesson_url(second)
    learner_client.get(lesson_url(second))
    home = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert "1 of 2 lessons" in home
    # The lesson opened last and not finished is the one to continue.
    assert f"Continue lesson: {second.title}" in home


def test_marking_complete_twice_records_once(learner_client, bls):
    learner_client.post(reverse("courses:enroll", args=["bls"]))
    lesson = bls.lessons.first()
    url = reverse(
        "courses:lesson_complete", args=["bls", lesson.module.slug, lesson.slug]
    )
    learner_client.get(lesson_url(lesson))
    learner_client.post(url)
    learner_client.post(url)
    assert LessonProgress.objects.count() == 1


def test_learners_never_see_draft_lessons(learner_client, bls):
    learner_client.post(reverse("courses:enroll", args=["bls"]))
    draft = LessonFactory(
        module=bls.modules.first(),
        slug="draft-lesson",
        title="Secret draft",
        is_published=False,
    )
    assert learner_client.get(lesson_url(draft)).status_code == 404
    home = learner_client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert "Secret draft" not in home


def test_staff_can_view_draft_lessons_without_enrolling(staff_client, bls):
    draft = LessonFactory(
        module=bls.modules.first(),
        slug="draft-lesson",
        title="Secret draft",
        is_published=False,
    )
    response = staff_client.get(lesson_url(draft))
    assert response.status_code == 200
    assert "Staff preview" in response.content.decode()


def test_learners_cannot_see_other_learners_progress(client, bls):
    other = EnrollmentFactory(course=bls)
    LessonProgress.objects.create(
        enrollment=other, lesson=bls.lessons.first(), completed_at=other.enrolled_at
    )
    me = UserFactory()
    client.force_login(me)
    EnrollmentFactory(user=me, course=bls)
    home = client.get(reverse("courses:home", args=["bls"])).content.decode()
    assert "0 of 2" in home
    dashboard = client.get(reverse("courses:dashboard")).content.decode()
    assert "0 of 2 lessons" in dashboard


def test_catalog_recommends_by_profession_from_profile(client, bls):
    from tests.factories import CourseFactory

    CourseFactory(slug="cpr-aed", title="CPR and AED", recommended_for=["educator"])
    teacher = UserFactory(profession="educator")
    client.force_login(teacher)
    page = client.get(reverse("courses:catalog")).content.decode()
    assert "we recommend" in page
    assert 'value="educator" selected' in page
    recommended = page.split("we recommend")[1].split("</p>")[0]
    assert "CPR and AED" in recommended and "Basic Life Support" not in recommended
    nurse_page = client.get(
        reverse("courses:catalog") + "?profession=nurse"
    ).content.decode()
    assert "Basic Life Support" in nurse_page.split("we recommend")[1].split("</p>")[0]


def test_course_image_is_served_with_type_and_sandbox(client, bls):
    from courses.models import CourseImage

    strip = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 5h40"/></svg>'
    CourseImage.objects.create(
        course=bls,
        path="images/ecg/vf.svg",
        content_type="image/svg+xml",
        data=strip,
        sha256="abc",
    )
    response = client.get("/courses/bls/images/ecg/vf.svg")
    assert response.status_code == 200
    assert response.content == strip  # the stored bytes, as stored
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"].startswith("public")
    assert response["ETag"] == '"abc"'
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get("/courses/bls/images/ecg/missing.svg").status_code == 404
    # Another course's path is not this course's image.
    assert client.get("/courses/acls-x/images/ecg/vf.svg").status_code == 404


def test_catalog_lists_courses_in_their_order(client):
    from tests.factories import CourseFactory

    CourseFactory(slug="zz-last", title="Alpha", order=3)
    CourseFactory(slug="aa-first", title="Omega", order=1)
    page = client.get(reverse("courses:catalog")).content.decode()
    assert page.index("Omega") < page.index("Alpha")


def test_draft_course_images_are_staff_only_and_never_cached_publicly(client, staff):
    from courses.models import CourseImage
    from tests.factories import CourseFactory

    draft = CourseFactory(slug="draft", is_published=False)
    CourseImage.objects.create(
        course=draft,
        path="images/a.svg",
        content_type="image/svg+xml",
        data=b"<svg/>",
        sha256="abc",
    )
    assert client.get("/courses/draft/images/a.svg").status_code == 404
    login_with_mfa(client, staff)
    response = client.get("/courses/draft/images/a.svg")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")


@pytest.mark.parametrize("status", ["waiting", "completed"])
def test_lessons_cannot_be_completed_in_an_enrollment_that_is_not_active(
    learner_client, user, bls, acls, status
):
    enrollment = EnrollmentFactory(
        user=user,
        course=acls,
        status=status,
        activated_at=None,
        completed_at=timezone.now() if status == "completed" else None,
    )
    lesson = acls.lessons.get()
    with pytest.raises(LifelineError, match="only in an active enrollment"):
        lesson_complete(enrollment=enrollment, lesson=lesson)
    url = reverse(
        "courses:lesson_complete", args=["acls", lesson.module.slug, lesson.slug]
    )
    page = learner_client.post(url, follow=True).content.decode()
    if status == "waiting":
        assert "opens as soon as you hold its prerequisite certificate" in page
    else:
        assert "Enroll in Advanced Cardiovascular Life Support to study it." in page
    assert not LessonProgress.objects.exists()
