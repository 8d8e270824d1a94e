"""Cases app fixtures: a course ("sim") with the sample cases' lessons, a learner
enrolled in it, and its cases."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from cases import definitions
from tests.cases.app_helpers import add_lessons, make_case
from tests.factories import CourseFactory, EnrollmentFactory


@pytest.fixture(autouse=True)
def _fresh_definitions():
    """Each test builds its definitions (as a fresh process would)."""
    definitions._definitions.clear()
    yield
    definitions._definitions.clear()
    cache.clear()


@pytest.fixture
def course(db):
    course = CourseFactory(slug="sim", title="Simulation course", code="SIM")
    course.lessons_by_slug = add_lessons(course)
    return course


@pytest.fixture
def enrollment(user, course):
    return EnrollmentFactory(user=user, course=course)


@pytest.fixture
def vf_case(course):
    """The ACLS sample case (VF, three shocks, epinephrine, ROSC), practice."""
    return make_case(course, "ed-collapse")


@pytest.fixture
def lay_case(course):
    return make_case(course, "mall-collapse")


@pytest.fixture
def learner(learner_client, enrollment):
    return learner_client
