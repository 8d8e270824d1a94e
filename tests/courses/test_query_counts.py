"""Pages run a fixed number of queries whatever the size of the curriculum."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import LessonProgress
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrollmentFactory,
    LessonFactory,
    ModuleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Session + user + the page's own queries; the same bound for 3 and for 30. The course
# home's includes the refresh that grades attempts whose time is up (one query when
# there are none); the lesson page records the opening (one upsert; both issue 12).
# Issue 15: the lesson page reads the course's exams and attempts for "Mark complete
# and continue" (the up-next rule: a module's last lesson leads to its quiz), two
# queries, one more than the bound had to spare; the dashboard gives each open course its up-next step and progress over lessons and
# exams (modules and lessons, exams, attempts: five for any number of courses), each
# completed one its certificate (one), and a recommended next course (two). Issue 16:
# the up-next rule reads the courses' required case simulations (one query, for
# any number of courses; one more for their attempts when a course requires any),
# and the course home counts the course's cases for its link to them (one).
MAX_QUERIES = {"catalog": 5, "detail": 10, "home": 13, "lesson": 14, "dashboard": 16}


def build(size: int, user):
    """`size` courses; the first has `size` modules of `size` lessons each."""
    courses = [CourseFactory(slug=f"course-{i}") for i in range(size)]
    main = courses[0]
    for m in range(size):
        module = ModuleFactory(course=main, slug=f"m-{m}", order=m)
        for n in range(size):
            LessonFactory(module=module, slug=f"l-{m}-{n}", order=n)
    prerequisite = courses[1]
    main.prerequisites.add(prerequisite)
    CertificateFactory(
        enrollment=EnrollmentFactory(
            user=user,
            course=prerequisite,
            status="completed",
            completed_at=timezone.now(),
        )
    )
    enrollment = EnrollmentFactory(user=user, course=main)
    for lesson in main.lessons.all()[: size * 2]:
        LessonProgress.objects.create(
            enrollment=enrollment, lesson=lesson, completed_at=timezone.now()
        )
    for course in courses[2:]:
        EnrollmentFactory(user=user, course=course)
    return main


@pytest.mark.parametrize("size", [3, 30])
def test_pages_use_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, size
):
    user = UserFactory()
    main = build(size, user)
    client.force_login(user)
    lesson = main.lessons.order_by("module__order", "order")[1]
    pages = {
        "catalog": reverse("courses:catalog"),
        "detail": main.get_absolute_url(),
        "home": reverse("courses:home", args=[main.slug]),
        "lesson": reverse(
            "courses:lesson", args=[main.slug, lesson.module.slug, lesson.slug]
        ),
        "dashboard": reverse("courses:dashboard"),
    }
    for name, url in pages.items():
        with django_assert_max_num_queries(MAX_QUERIES[name]):
            response = client.get(url)
        assert response.status_code == 200, name
