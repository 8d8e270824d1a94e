"""Taking an exam through the pages: start, the attempt form, saving as you go."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from courses.models import CourseImage
from exams.models import Attempt
from exams.services import (
    InvalidAnswers,
    exam_attempt_answer,
    exam_attempt_start,
    exam_attempt_submit,
)
from tests.exams.conftest import answers_for, as_post, complete_lessons
from tests.factories import EnrollmentFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


def attempt_url(attempt) -> str:
    return reverse("exams:attempt", args=[attempt.pk])


def answer_url(attempt) -> str:
    return reverse("exams:answer", args=[attempt.pk])


def saved(attempt) -> dict[int, str]:
    return dict(
        attempt.items.exclude(selected_key="").values_list("position", "selected_key")
    )


def test_start_creates_an_attempt_and_opens_it(learner_client, module_exam, studied):
    response = learner_client.post(reverse("exams:start", args=[module_exam.pk]))
    attempt = Attempt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == attempt_url(attempt)
    assert attempt.user == learner_client.user
    assert attempt.enrollment == studied


def test_start_is_post_only(learner_client, module_exam, studied):
    response = learner_client.get(reverse("exams:start", args=[module_exam.pk]))
    assert response.status_code == 405
    assert not Attempt.objects.exists()


def test_starting_again_resumes_and_says_so(learner_client, attempt):
    response = learner_client.post(
        reverse("exams:start", args=[attempt.exam_id]), follow=True
    )
    assert response.redirect_chain[-1][0] == attempt_url(attempt)
    assert "in progress" in response.content.decode()
    assert Attempt.objects.count() == 1


def test_attempt_page_is_an_accessible_form_of_radio_groups(learner_client, attempt):
    html = learner_client.get(attempt_url(attempt)).content.decode()
    assert html.count('<fieldset class="question"') == 5
    assert html.count("<legend") == 5
    for item in attempt.items.all():
        assert item.text_html in html
        assert (
            f'aria-labelledby="q{item.position}-number q{item.position}-text"' in html
        )
        for key in item.keys:
            radio = re.search(
                rf'<input type="radio" name="q{item.position}" value="{key}" id="([^"]+)"',
                html,
            )
            assert radio, key
            assert f'<label for="{radio.group(1)}">' in html
    assert 'value="save"' in html and 'value="submit"' in html
    assert "js/exam.js" in html
    assert "<script>" not in html and " style=" not in html


def test_the_page_never_reveals_the_correct_choice(learner_client, attempt):
    html = learner_client.get(attempt_url(attempt)).content.decode()
    assert "correct" not in html.lower()
    for item in attempt.items.select_related("question"):
        for choice in item.question.choices.all():
            assert f'value="{choice.pk}"' not in html
        assert item.explanation_html not in html


def _choice_markup(html: str, item) -> dict[bool, list[str]]:
    """Each choice's <li> with its key and text replaced by placeholders, by
    whether it is the correct one."""
    found: dict[bool, list[str]] = {True: [], False: []}
    for index, choice in enumerate(item.choices):
        pattern = rf"<li><label for=\"[^\"]+\"><input[^>]*value=\"{choice['key']}\"[^>]*> <span>[^<]*</span></label></li>"
        match = re.search(pattern, html)
        assert match, choice
        markup = (
            match.group(0)
            .replace(choice["key"], "KEY")
            .replace(choice["text"], "TEXT")
            .replace(f"{item.field_name}_{index}", "ID")
        )
        found[choice["correct"]].append(markup)
    return found


def test_correct_and_incorrect_choices_have_identical_markup(learner_client, attempt):
    html = learner_client.get(attempt_url(attempt)).content.decode()
    for item in attempt.items.all():
        markup = _choice_markup(html, item)
        assert len(markup[True]) == 1 and len(markup[False]) == 3
        assert {markup[True][0]} == set(markup[False])


def test_only_the_owner_can_see_or_answer_an_attempt(client, attempt):
    other = UserFactory()
    client.force_login(other)
    item = attempt.items.first()
    assert client.get(attempt_url(attempt)).status_code == 404
    posted = client.post(attempt_url(attempt), {item.field_name: item.keys[0]})
    assert posted.status_code == 404
    assert (
        client.post(answer_url(attempt), {item.field_name: item.keys[0]}).status_code
        == 404
    )
    attempt.refresh_from_db()
    assert attempt.is_open and saved(attempt) == {}


def test_staff_cannot_open_a_learners_attempt_page_either(staff_client, attempt):
    assert staff_client.get(attempt_url(attempt)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, attempt):
    response = client.get(attempt_url(attempt))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_autosaved_answers_survive_a_reload(learner_client, attempt):
    answers = answers_for(attempt, correct=2)
    first_two = {p: answers[p] for p in (1, 2)}
    response = learner_client.post(answer_url(attempt), as_post(first_two))
    assert response.status_code == 204
    assert saved(attempt) == first_two
    html = learner_client.get(attempt_url(attempt)).content.decode()
    for position, key in first_two.items():
        assert re.search(rf'name="q{position}" value="{key}" id="[^"]+" checked', html)
    assert html.count(" checked") == 2
    assert "<span data-answered-count>2</span>" in html


def test_changing_an_answer_replaces_it_and_others_are_kept(learner_client, attempt):
    items = list(attempt.items.order_by("position"))
    learner_client.post(
        answer_url(attempt), {"q1": items[0].keys[0], "q2": items[1].keys[0]}
    )
    learner_client.post(answer_url(attempt), {"q1": items[0].keys[3]})
    assert saved(attempt) == {1: items[0].keys[3], 2: items[1].keys[0]}


def test_save_button_without_javascript_saves_and_returns_to_the_exam(
    learner_client, attempt
):
    answers = answers_for(attempt)
    response = learner_client.post(
        attempt_url(attempt), as_post(answers, action="save"), follow=True
    )
    assert response.redirect_chain == [(attempt_url(attempt), 302)]
    assert "Your answers are saved." in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.is_open
    assert saved(attempt) == answers


def test_a_closed_tab_resumes_the_same_attempt_with_its_answers(client, user, attempt):
    client.force_login(user)
    client.post(answer_url(attempt), as_post(answers_for(attempt)))
    client.logout()
    client.force_login(user)
    response = client.post(reverse("exams:start", args=[attempt.exam_id]), follow=True)
    assert response.redirect_chain[-1][0] == attempt_url(attempt)
    assert response.content.decode().count(" checked") == 5


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({"q9": "whatever"}, "not in this exam"),
        ({"q1": "not-a-key"}, "not one of this question's choices"),
        ({"q1": ""}, "Choose one answer"),
        ({"question": "x"}, "not in this exam"),
        ({"q0": "x"}, "not in this exam"),
        ({"q03": "x"}, "not in this exam"),
        ({"q100000000000000000000": "x"}, "not in this exam"),
        ({"action": "delete"}, "button"),
    ],
)
def test_malformed_answers_are_refused_with_400_and_change_nothing(
    learner_client, attempt, payload, why
):
    learner_client.post(
        answer_url(attempt), {"q1": attempt.items.get(position=1).keys[0]}
    )
    before = saved(attempt)
    for url in (answer_url(attempt), attempt_url(attempt)):
        response = learner_client.post(url, payload)
        assert response.status_code == 400
        assert why in unescape(response.content.decode())
    attempt.refresh_from_db()
    assert attempt.is_open
    assert saved(attempt) == before


def test_a_question_name_too_long_for_a_number_is_refused(learner_client, attempt):
    for url in (answer_url(attempt), attempt_url(attempt)):
        response = learner_client.post(url, {"q" + "9" * 5000: "x"})
        assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.is_open and saved(attempt) == {}


def test_an_attempt_id_no_row_can_have_is_not_found(learner_client):
    huge = 10**20
    assert learner_client.get(f"/exams/attempts/{huge}/").status_code == 404
    assert learner_client.post(f"/exams/attempts/{huge}/answer/").status_code == 404


def test_a_key_of_another_question_or_attempt_is_refused(learner_client, attempt, user):
    second = attempt.items.get(position=2)
    response = learner_client.post(attempt_url(attempt), {"q1": second.keys[0]})
    assert response.status_code == 400
    assert saved(attempt) == {}
    # Another learner's attempt of the same exam: its keys mean nothing here.
    other_enrollment = EnrollmentFactory(course=attempt.exam.course)
    complete_lessons(other_enrollment)
    other, _ = exam_attempt_start(user=other_enrollment.user, exam=attempt.exam)
    foreign = other.items.get(position=1).keys[0]
    assert learner_client.post(answer_url(attempt), {"q1": foreign}).status_code == 400
    attempt.refresh_from_db()
    assert attempt.is_open and saved(attempt) == {}


def test_two_values_for_one_question_are_refused(learner_client, attempt):
    item = attempt.items.get(position=1)
    response = learner_client.post(answer_url(attempt), {"q1": item.keys[:2]})
    assert response.status_code == 400
    assert response.json()["error"] == "Question 1: Choose one answer."
    assert saved(attempt) == {}


def test_answers_to_a_submitted_attempt_are_refused_with_409(learner_client, attempt):
    learner_client.post(attempt_url(attempt), as_post(answers_for(attempt, correct=0)))
    item = attempt.items.get(position=1)
    response = learner_client.post(answer_url(attempt), {"q1": item.correct_key})
    assert response.status_code == 409
    assert "already submitted" in response.json()["error"]
    item.refresh_from_db()
    assert item.selected_key != item.correct_key


def test_start_without_enrolment_sends_you_to_the_course_page(
    learner_client, module_exam
):
    response = learner_client.post(
        reverse("exams:start", args=[module_exam.pk]), follow=True
    )
    assert response.redirect_chain[0][0] == module_exam.course.get_absolute_url()
    assert (
        "Enroll in Basic Life Support to take its exams." in response.content.decode()
    )
    assert not Attempt.objects.exists()


def test_exams_of_an_unpublished_course_are_not_found(learner_client, module_exam):
    module_exam.course.is_published = False
    module_exam.course.save()
    start = learner_client.post(reverse("exams:start", args=[module_exam.pk]))
    history = learner_client.get(reverse("exams:history", args=[module_exam.pk]))
    assert start.status_code == history.status_code == 404


def test_a_question_image_is_shown_with_its_description(
    learner_client, user, module_exam, studied
):
    CourseImage.objects.create(
        course=module_exam.course,
        path="images/ecg/vf.svg",
        content_type="image/svg+xml",
        data=b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        sha256="0" * 64,
    )
    module_exam.questions.update(is_active=False)
    QuestionFactory(
        exam=module_exam,
        image="images/ecg/vf.svg",
        image_alt="Chaotic irregular deflections with no QRS complexes: VF.",
    )
    attempt, _ = exam_attempt_start(user=user, exam=module_exam)
    html = learner_client.get(attempt_url(attempt)).content.decode()
    src = re.search(r'<img src="([^"]+)" alt="Chaotic irregular', html).group(1)
    assert src == "/courses/bls/images/ecg/vf.svg"
    assert learner_client.get(src).status_code == 200


@pytest.mark.parametrize("service", ["answer", "submit"])
@pytest.mark.parametrize(
    "foreign", ["another question's key", "another attempt's key", "no such question"]
)
def test_the_services_themselves_refuse_a_choice_the_attempt_did_not_present(
    user, attempt, service, foreign
):
    """Not only the form: any caller of the services (a task, a command, a future
    API) gets InvalidAnswers and nothing changes."""
    first = attempt.items.get(position=1)
    if foreign == "another question's key":
        answers = {1: attempt.items.get(position=2).keys[0]}
    elif foreign == "another attempt's key":
        other_enrollment = EnrollmentFactory(course=attempt.exam.course)
        complete_lessons(other_enrollment)
        other, _ = exam_attempt_start(user=other_enrollment.user, exam=attempt.exam)
        answers = {1: other.items.get(position=1).keys[0]}
    else:
        answers = {99: first.keys[0]}
    # A valid answer alongside: refused with the rest.
    answers[3] = attempt.items.get(position=3).correct_key
    call = exam_attempt_answer if service == "answer" else exam_attempt_submit
    with pytest.raises(InvalidAnswers):
        call(attempt=attempt, answers=answers)
    attempt.refresh_from_db()
    assert attempt.is_open and attempt.submitted_at is None
    assert saved(attempt) == {}
    assert not attempt.items.filter(answered_at__isnull=False).exists()


# --- The page must not give the correct choice away (issue 10) --------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    children: list[_Element | str] = field(default_factory=list)

    def walk(self) -> Iterator[_Element]:
        yield self
        for child in self.children:
            if isinstance(child, _Element):
                yield from child.walk()


class _TreeBuilder(HTMLParser):
    """The page as a tree of elements (text kept), for comparing markup by shape."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = _Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(
            _Element(tag, {name: value or "" for name, value in attrs})
        )

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        while len(self.stack) > 1:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data):
        if data.strip():
            self.stack[-1].children.append(data)


def _tree(html: str) -> _Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _shape(node: _Element | str, replace: dict[str, str]) -> str:
    """The element serialised with every attribute and text, after replacing what
    legitimately differs between choices (key, label text, element id)."""

    def norm(value: str) -> str:
        value = " ".join(value.split())
        for old, new in replace.items():
            value = value.replace(old, new)
        return value

    if isinstance(node, str):
        return repr(norm(node))
    attrs = " ".join(f"{k}={norm(v)!r}" for k, v in sorted(node.attrs.items()))
    inner = ",".join(_shape(child, replace) for child in node.children)
    return f"<{node.tag} {attrs}>[{inner}]"


def test_the_attempt_page_gives_the_correct_choice_away_nowhere(
    learner_client, attempt
):
    html = learner_client.get(attempt_url(attempt)).content.decode()
    items = list(attempt.items.order_by("position"))
    # Every key of the attempt appears equally often in the page: a key repeated in
    # an attribute, a script or a comment gives that choice away.
    counts = {key: html.count(key) for item in items for key in item.keys}
    assert len(set(counts.values())) == 1, counts
    fieldsets = [
        element
        for element in _tree(html).walk()
        if element.tag == "fieldset" and "question" in element.attrs.get("class", "")
    ]
    assert len(fieldsets) == len(items)
    for item, fieldset in zip(items, fieldsets, strict=True):
        shapes: dict[bool, set[str]] = {True: set(), False: set()}
        choices = [element for element in fieldset.walk() if element.tag == "li"]
        assert len(choices) == len(item.choices)
        for li in choices:
            radio = next(element for element in li.walk() if element.tag == "input")
            choice = item.choice_for(radio.attrs["value"])
            assert choice is not None
            replace = {
                choice["key"]: "KEY",
                radio.attrs["id"]: "ID",
                choice["text"]: "TEXT",
            }
            shapes[choice["correct"]].add(_shape(li, replace))
        # The correct choice's element, normalised, is the wrong ones' element.
        assert len(shapes[True]) == 1 and shapes[True] == shapes[False], shapes
        # Nothing else in the question carries data for scripts to read.
        for element in fieldset.walk():
            assert not [name for name in element.attrs if name.startswith("data-")]
