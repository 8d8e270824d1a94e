"""The curriculum every process caches (courses.outline, issue 19): keyed by the
content version in the shared cache, so an admin edit or a sync is seen by the next
request in every process, and never a draft by a learner.

A worker process is its own memory: here two are the outline store of the process
swapped for another (`process`), both reading the one version key of the shared
cache, as two gunicorn workers do with Redis. The last test runs a real second
process against PostgreSQL and Redis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.test import Client
from django.urls import reverse

from accounts import learner_pages
from courses import outline
from courses.models import Course, Lesson
from courses.services import courses_publish, enrollment_create, lessons_publish
from curriculum.services import content_sync
from tests.conftest import service_missing
from tests.curriculum.test_content import build_tree
from tests.factories import LessonFactory, login_with_mfa

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


class Worker(dict):
    """A worker process's memory: its outline store (the dict itself) and the
    learner pages it keeps (accounts.learner_pages)."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: OrderedDict = OrderedDict()


@contextmanager
def process(store: Worker):
    """Runs what follows as the worker process `store`."""
    saved, saved_pages = outline._store, learner_pages._pages
    outline._store, learner_pages._pages = store, store.pages
    try:
        yield
    finally:
        outline._store, learner_pages._pages = saved, saved_pages


def catalog_titles(client: Client) -> list[str]:
    response = client.get(reverse("courses:catalog"))
    assert response.status_code == 200
    return [course.title for course in response.context["courses"]]


def test_an_admin_edit_is_seen_by_the_next_request_in_every_process(
    staff, bls, user, django_assert_num_queries
):
    first, second = Worker(), Worker()
    enrollment_create(user=user, course=bls)
    learner = Client()
    learner.force_login(user)
    lesson = bls.lessons.first()
    for store in (first, second):
        with process(store):
            page = learner.get(lesson.get_absolute_url()).content.decode()
            assert lesson.title in page
            # Drawn once more after the opening the first request wrote (the
            # outline kept: only the learner's rows are read,
            # tests/courses/test_query_counts.py), then the page itself is kept by
            # this process: the user alone.
            learner.get(lesson.get_absolute_url())
            with django_assert_num_queries(1):
                learner.get(lesson.get_absolute_url())
    admin = Client()
    login_with_mfa(admin, staff)
    with process(first):
        response = admin.post(
            reverse("admin:courses_lesson_change", args=[lesson.pk]),
            {
                "module": lesson.module_id,
                "title": "Compressions, revised",
                "slug": lesson.slug,
                "minutes": 12,
                "order": lesson.order,
                "is_published": "on",
                "body_md": "Push at 100 to 120 per minute.",
            },
        )
    assert response.status_code == 302
    for store in (second, first):
        with process(store):
            page = learner.get(lesson.get_absolute_url()).content.decode()
        assert "Compressions, revised" in page
        assert "100 to 120 per minute" in page


def test_publishing_from_the_admin_list_reaches_every_process(client, bls, staff):
    first, second = Worker(), Worker()
    for store in (first, second):
        with process(store):
            assert catalog_titles(client) == [bls.title]
    # The admin's action writes with one UPDATE (no signal): it bumps explicitly.
    courses_publish(courses=[bls], actor=staff, published=False)
    for store in (first, second):
        with process(store):
            assert catalog_titles(client) == []
            assert client.get(bls.get_absolute_url()).status_code == 404


@contextmanager
def no_signals():
    """Content written as bulk operations write it: no save or delete signal."""
    receivers = {
        signal: signal.receivers[:] for signal in (post_save, post_delete, m2m_changed)
    }
    for signal in receivers:
        signal.receivers.clear()
        signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, saved in receivers.items():
            signal.receivers[:] = saved
            signal.sender_receivers_cache.clear()


def test_a_sync_is_seen_by_the_next_request_in_every_process(client, tmp_path):
    tree = build_tree(tmp_path)
    content_sync(root=tree)
    first, second = Worker(), Worker()
    for store in (first, second):
        with process(store):
            assert "Basic Life Support" in catalog_titles(client)
    course = tree / "bls" / "course.md"
    course.write_text(course.read_text().replace("Basic Life Support", "BLS, new"))
    # The sync bumps the version itself, whatever its writes signal.
    with no_signals():
        content_sync(root=tree)
    assert Course.objects.get(slug="bls").title == "BLS, new"
    for store in (first, second):
        with process(store):
            titles = catalog_titles(client)
        assert "BLS, new" in titles
        assert "Basic Life Support" not in titles


def test_a_draft_lesson_stays_hidden_from_learners_and_open_to_staff(
    client, bls, user, staff
):
    draft = LessonFactory(module=bls.modules.first(), slug="draft", is_published=False)
    enrollment_create(user=user, course=bls)
    client.force_login(user)
    assert client.get(draft.get_absolute_url()).status_code == 404
    home = client.get(reverse("courses:home", args=[bls.slug])).content.decode()
    assert draft.get_absolute_url() not in home
    staff_client = Client()
    login_with_mfa(staff_client, staff)
    page = staff_client.get(draft.get_absolute_url())
    assert page.status_code == 200
    assert "this lesson is a draft" in page.content.decode()
    # Published from the admin's list: the learner reads it on the next request.
    lessons_publish(lessons=[draft], actor=staff)
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_a_flushed_cache_only_makes_every_process_rebuild(
    client, bls, django_assert_num_queries
):
    catalog_titles(client)
    with django_assert_num_queries(0):
        catalog_titles(client)
    cache.clear()  # Redis flushed, or the key evicted
    Course.objects.filter(pk=bls.pk).update(title="Changed behind our back")
    assert catalog_titles(client) == ["Changed behind our back"]


def test_without_the_shared_cache_nothing_is_kept(client, bls, monkeypatch):
    class Down:
        def get(self, *args, **kwargs):
            raise ConnectionError("Redis is down")

        add = set = get

    catalog_titles(client)
    monkeypatch.setattr(outline, "cache", Down())
    Course.objects.filter(pk=bls.pk).update(title="Read afresh")
    assert catalog_titles(client) == ["Read afresh"]


def test_the_outline_is_kept_until_the_version_moves(client, bls):
    """An edit the version does not hear of is not seen: so the tests above prove
    the bumps, not a cache that does not cache."""
    catalog_titles(client)
    Lesson.objects.filter(course=bls).update(title="Unseen")
    Course.objects.filter(pk=bls.pk).update(title="Unseen either")
    assert catalog_titles(client) == [bls.title]


CHILD = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from courses.outline import content_version_middleware
    from courses.selectors import courses_for_catalog

    def titles(request):
        return [course.title for course in courses_for_catalog()]

    page = content_version_middleware(titles)
    for line in sys.stdin:
        print(json.dumps(page(None)), flush=True)
    """
)


@pytest.mark.redis
def test_a_second_process_sees_an_edit_on_its_next_request(transactional_db, bls):
    """Two real processes, PostgreSQL and Redis: the edit is committed here and the
    other process, which has the outline in memory, reads it on its next request."""
    if connection.vendor != "postgresql":
        service_missing(
            "PostgreSQL is not configured (set DATABASE_URL=postgres://...)"
        )
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
            f"{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
        ),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:

        def ask() -> list[str]:
            child.stdin.write("get\n")
            child.stdin.flush()
            return json.loads(child.stdout.readline())

        assert ask() == [bls.title]
        assert ask() == [bls.title]  # kept in the child's memory
        bls.title = "Basic Life Support, 2026"
        bls.save()
        assert ask() == ["Basic Life Support, 2026"]
        courses_publish(courses=[bls], actor=None, published=False)
        assert ask() == []
    finally:
        child.stdin.close()
        child.wait(timeout=30)


def test_the_lesson_pages_kept_contents_follow_edits_and_progress(bls, user):
    """The module's contents on a lesson page are kept per content version and per
    lessons done (courses/templatetags/lesson_contents.py): a renamed lesson and a
    lesson just completed show on the next request."""
    from courses.services import lesson_complete, lesson_open

    enrollment = enrollment_create(user=user, course=bls)
    learner = Client()
    learner.force_login(user)
    first, second = bls.modules.get().lessons.order_by("order")[:2]

    def contents_of(lesson) -> str:
        page = learner.get(lesson.get_absolute_url()).content.decode()
        return page[page.index('<aside class="stack lesson-aside"') :]

    assert f">{second.title}</a>" in contents_of(first)
    second.title = "Rescue breaths, renamed"
    second.save()
    contents = contents_of(first)
    assert ">Rescue breaths, renamed</a>" in contents
    assert "Done" not in contents
    lesson_open(enrollment=enrollment, lesson=second)
    lesson_complete(enrollment=enrollment, lesson=second)
    assert '>Rescue breaths, renamed</a> <span class="badge badge-success">Done' in (
        contents_of(first)
    )


def test_the_course_homes_kept_module_cards_follow_edits_and_progress(bls, user):
    """A module's card on the course home is kept per module and steps
    (courses/templatetags/steps.py): a renamed module and a lesson just completed
    show on the next request."""
    from courses.services import lesson_complete, lesson_open

    enrollment = enrollment_create(user=user, course=bls)
    learner = Client()
    learner.force_login(user)
    module = bls.modules.get()
    lesson = module.lessons.order_by("order").first()
    home = reverse("courses:home", args=[bls.slug])

    def card() -> str:
        page = learner.get(home).content.decode()
        start = page.index(f'id="module-{module.pk}-card"')
        return page[start : page.index("</section>", start)]

    assert f"1. {module.title}</h3>" in card()
    module.title = "Adult CPR, revised"
    module.save()
    assert "1. Adult CPR, revised</h3>" in card()
    lesson_open(enrollment=enrollment, lesson=lesson)
    lesson_complete(enrollment=enrollment, lesson=lesson)
    done = card()
    assert f'id="lesson-{lesson.pk}"' in done
    assert 'step-lesson step-done" id="lesson-' + str(lesson.pk) in done
