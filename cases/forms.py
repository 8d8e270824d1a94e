"""Parsing what the play page posts.

Each action group is one `<form>`: its buttons post `code` (the action), and each
parameter's select is named `<code>.<param>` so that two actions of a group with a
parameter of the same name (the energy of a shock and of a cardioversion) never
mix. The drug and its dose are one select (`drug.drug_dose`, "drug:dose",
grouped by drug) so the page works without JavaScript. `expected_seq` is the
number of log lines the page had.
"""

from __future__ import annotations

from django import forms

DRUG_DOSE = "drug_dose"


class ActionForm(forms.Form):
    code = forms.SlugField(
        max_length=32, error_messages={"required": "Choose an action."}
    )
    expected_seq = forms.IntegerField(
        min_value=0,
        error_messages={
            "required": "This page is missing its place in the case: reload it.",
            "invalid": "This page is missing its place in the case: reload it.",
        },
    )

    def params(self) -> dict[str, str]:
        """The chosen action's parameters ({name: option id}), from the selects
        named after it; other fields (another action's selects, the CSRF token) are
        left out."""
        code = self.cleaned_data["code"]
        prefix = f"{code}."
        params = {
            name.removeprefix(prefix): value
            for name, value in self.data.items()
            if name.startswith(prefix)
        }
        combined = params.pop(DRUG_DOSE, None)
        if combined is not None:
            drug, _, dose = str(combined).partition(":")
            params.update(drug=drug, dose=dose)
        return params

    def error_summary(self) -> str:
        return " ".join(
            message for messages in self.errors.values() for message in messages
        )


def action_post(step: dict, expected_seq: int) -> dict:
    """What the play page's form posts for one step of a case (`{do, with}`, as in
    `ideal:`): the inverse of `ActionForm.params`, for the tests and the benchmark
    that play cases through the view."""
    code = step["do"]
    data = {"code": code, "expected_seq": expected_seq}
    params = {k: str(v) for k, v in (step.get("with") or {}).items()}
    if code == "drug":
        data[f"drug.{DRUG_DOSE}"] = f"{params['drug']}:{params['dose']}"
    else:
        for name, value in params.items():
            data[f"{code}.{name}"] = value
    return data
