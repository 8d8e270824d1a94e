"""The attempt form: parses what comes back from the attempt page (which writes one
radio group per presented question itself, templates/exams/attempt_take.html),
strictly. Anything that is not an answer to a question of this attempt with
one of the keys it presented makes the whole post invalid (the view answers 400 and
nothing is saved)."""

from __future__ import annotations

import re

from django import forms

from .models import AttemptQuestion, answer_field_position
from .selectors import QUESTION_SORTS


class AnswerField(forms.Field):
    """One question's answer: one of the keys the attempt presented for it, or
    nothing. A ChoiceField that renders nothing (the page writes its radio
    buttons itself): building fifty ChoiceFields and their widgets was most of an
    autosave's cost (issue 19)."""

    default_error_messages = {
        "invalid_choice": "That answer is not one of this question's choices."
    }

    def __init__(self, *, keys: set[str], **kwargs):
        super().__init__(required=False, **kwargs)
        self.keys = keys

    def to_python(self, value) -> str:
        return "" if value in self.empty_values else str(value)

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and value not in self.keys:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )


def answer_positions(data) -> set[int]:
    """The positions of the questions a post answers (its `q<position>` names);
    other names are the form's to accept or refuse."""
    return {
        position
        for name in data
        if (position := answer_field_position(name)) is not None
    }


# What a choice key can be (exams.services.attempts: token_urlsafe): a post's
# value that could not be one is left to the form, which refuses it (400).
_CHOICE_KEY = re.compile(r"[A-Za-z0-9_-]{1,16}")


def single_answer(data) -> tuple[int, str] | None:
    """(position, key) when the post holds one answer and nothing else (but the
    CSRF token), its key shaped like a choice key: what exam.js sends as each
    answer is chosen. None otherwise; the whole form then reads it."""
    names = set(data) - {AttemptForm.CSRF_FIELD}
    if len(names) != 1:
        return None
    (name,) = names
    position = answer_field_position(name)
    values = data.getlist(name)
    if position is None or len(values) != 1 or not _CHOICE_KEY.fullmatch(values[0]):
        return None
    return position, values[0]


class AttemptForm(forms.Form):
    """Field `q<position>` per question, its choices under their per-attempt keys.

    Bound, `answers()` gives {position: key} for the questions answered in the post;
    unanswered questions are simply absent (a radio group with nothing checked is not
    sent), so they keep what was saved before. `action` is the button pressed: save
    (keep going) or submit (the default).
    """

    SAVE, SUBMIT = "save", "submit"
    # Sent with every post besides the answers; Django's CSRF check reads it.
    CSRF_FIELD = "csrfmiddlewaretoken"

    action = forms.ChoiceField(
        choices=[(SAVE, "Save answers"), (SUBMIT, "Submit for grading")],
        required=False,
    )

    def __init__(self, *args, items: list[AttemptQuestion], **kwargs):
        kwargs.setdefault("auto_id", "%s")
        kwargs.setdefault(
            "initial",
            {item.field_name: item.selected_key for item in items if item.selected_key},
        )
        super().__init__(*args, **kwargs)
        self.items = items
        self.question_names = {item.field_name for item in items}
        for item in items:
            # Bound, a field only for each question the post answers: one that is
            # not sent keeps what was saved (a page of 50 questions autosaving its
            # first answers builds a few fields, not 50: issue 19).
            if self.is_bound and item.field_name not in self.data:
                continue
            self.fields[item.field_name] = AnswerField(
                label=f"Question {item.position}",
                keys={choice["key"] for choice in item.choices},
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        known = self.question_names | set(self.fields) | {self.CSRF_FIELD}
        unknown = set(self.data) - known
        if unknown:
            raise forms.ValidationError(
                "Your answers name a question that is not in this exam.",
                code="unknown_question",
            )
        for name in self.fields:
            values = self.data.getlist(name)
            if len(values) > 1 or values == [""]:
                self.add_error(
                    name, forms.ValidationError("Choose one answer.", code="malformed")
                )
        return cleaned

    @property
    def submitting(self) -> bool:
        return self.cleaned_data.get("action") != self.SAVE

    def answers(self) -> dict[int, str]:
        return {
            item.position: self.cleaned_data[item.field_name]
            for item in self.items
            if self.cleaned_data.get(item.field_name)
        }

    def error_summary(self) -> str:
        """One sentence saying why the post was refused."""
        for error in self.non_field_errors():
            return error
        for name, errors in self.errors.items():
            if name == "action":
                return "That button is not one of this page's."
            return f"{self.fields[name].label}: {errors[0]}"
        return ""


class StatisticsQueryForm(forms.Form):
    """The statistics page's question table: which column it is sorted by ("-" in
    front: descending) and which page it shows. Anything else falls back to the bank
    order and the first page."""

    PER_PAGE = 25

    sort = forms.CharField(required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"] or "order"
        return sort if sort.removeprefix("-") in QUESTION_SORTS else "order"

    def query(self) -> tuple[str, bool, int]:
        """(column, descending, page) for the table. Each part falls back on its own:
        a bad page number keeps the column."""
        self.is_valid()
        sort = self.cleaned_data.get("sort", "order")
        return (
            sort.removeprefix("-"),
            sort.startswith("-"),
            self.cleaned_data.get("page") or 1,
        )
