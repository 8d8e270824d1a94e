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

# The user (the session is read from the cache, core.sessions) + the page's own
# queries, the same for 3 and for 30 (issue 19: the
# curriculum, its exams and cases come from the outline every process caches, and
# the learner's enrollment, progress and attempts are one query):
# - catalog: nothing else (an anonymous visitor: no query at all);
# - course page: the learner's credentials (ours and outside cards, one query) for
#   the prerequisites and the renewal window, the enrollment;
# - course home: the refresh that grades attempts whose time is up, the
#   enrollment with its state;
# - lesson (the next one to study): the enrollment with its completed lessons, the
#   opening (one upsert) and, when the learner moves to another lesson, where they
#   resume (one update);
# - dashboard: the enrollments with their state (and what follows a completed
#   course: its certificate), the credentials (one), the certificates section.
# The course home, the lesson and the dashboard are kept per learner
# (accounts.learner_pages), by the learner's state version read with the user.
QUERIES = {"catalog": 1, "detail": 3, "home": 3, "lesson": 4, "dashboard": 4}
# One of them again, nothing changed since it was drawn: the user (with the state
# version), and the kept page.
KEPT_QUERIES = 1
# Opening the same lesson again: the first opening wrote (the learner's records
# changed), so it is drawn once more, writing nothing this time
# (services.lesson_open): the user, the enrollment with its state. Then it is kept.
LESSON_AGAIN_QUERIES = 2
# A lesson reread in a module already done (the resume update, then the exams'
# attempts the plan reads).
LESSON_REREAD_QUERIES = 5


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
    client, django_assert_num_queries, warm_outline, size
):
    user = UserFactory()
    main = build(size, user)
    client.force_login(user)
    warm_outline()
    ordered = list(main.lessons.order_by("module__order", "order"))
    # The learner's next lesson (the first of a module whose lessons are left).
    lesson = ordered[size * 2]
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
        with django_assert_num_queries(QUERIES[name]):
            response = client.get(url)
        assert response.status_code == 200, name
    with django_assert_num_queries(LESSON_AGAIN_QUERIES):
        assert client.get(pages["lesson"]).status_code == 200
    with django_assert_num_queries(KEPT_QUERIES):
        assert client.get(pages["lesson"]).status_code == 200
    # The dashboard was drawn after the last change to the learner's records: it
    # is kept. Opening the lesson changed them after the course home was drawn:
    # drawn again once, then kept.
    with django_assert_num_queries(KEPT_QUERIES):
        assert client.get(pages["dashboard"]).status_code == 200
    with django_assert_num_queries(QUERIES["home"]):
        assert client.get(pages["home"]).status_code == 200
    with django_assert_num_queries(KEPT_QUERIES):
        assert client.get(pages["home"]).status_code == 200
    # Rereading a lesson whose module is done: "continue" needs the whole plan, and
    # its sources read the exams' and cases' state themselves (one query here).
    reread = ordered[1].get_absolute_url()
    with django_assert_num_queries(LESSON_REREAD_QUERIES):
        assert client.get(reread).status_code == 200


def test_an_anonymous_visitor_reads_the_catalog_without_a_query(
    client, django_assert_num_queries, warm_outline
):
    build(3, UserFactory())
    warm_outline()
    with django_assert_num_queries(0):
        response = client.get(reverse("courses:catalog"))
    assert response.status_code == 200
    listed = [course.slug for course in response.context["courses"]]
    assert listed == ["course-0", "course-1", "course-2"]
