"""Forms of organizations: they parse input; services decide."""

from __future__ import annotations

from django import forms

from courses.models import Course

from .models import JobRole
from .selectors import Status, sort_choices

CONSENT_LABEL = "Share my certificate status with {name}"
CONSENT_HELP = (
    "{name} will see, for each course it requires, whether your certificate is "
    "current, expiring soon, expired, not started, or how far along you are, and "
    "the dates on your certificates. It never sees your exam answers, scores or "
    "attempts. You can stop sharing or leave at any time from Your organizations."
)


class ConsentForm(forms.Form):
    """Accepting an invitation or joining through a link: consent is asked for, in
    plain words, and not required to join."""

    consent = forms.BooleanField(required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["consent"]
        field.label = CONSENT_LABEL.format(name=organization.name)
        field.help_text = CONSENT_HELP.format(name=organization.name)


class JobRoleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: JobRole) -> str:
        return obj.name


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    job_role = JobRoleChoiceField(
        queryset=JobRole.objects.none(), required=False, empty_label="(none)"
    )

    def __init__(self, *args, job_roles: list[JobRole], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job_role"].queryset = JobRole.objects.filter(
            pk__in=[r.pk for r in job_roles]
        )


class RosterForm(forms.Form):
    roster = forms.FileField(
        label="Roster (CSV)",
        help_text="One person per row: an e-mail column and, optionally, a job role "
        "column (a header row such as “email,job role” is allowed). Every row is "
        "checked first; nothing is imported until all rows are good.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class JoinLinkForm(forms.Form):
    label = forms.CharField(max_length=100, required=False, help_text="Optional.")
    job_role = JobRoleChoiceField(
        queryset=JobRole.objects.none(), required=False, empty_label="(none)"
    )
    expires_on = forms.DateField(
        required=False,
        label="Works until",
        help_text="Optional; leave empty for a link that works until you turn it off.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, job_roles: list[JobRole], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job_role"].queryset = JobRole.objects.filter(
            pk__in=[r.pk for r in job_roles]
        )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text='What will use it, e.g. "Staffing system". Unique among your '
        "active tokens.",
    )


class JobRoleForm(forms.Form):
    name = forms.CharField(label="New job role", max_length=60)


class RequirementForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.none())
    job_role = JobRoleChoiceField(
        queryset=JobRole.objects.none(),
        required=False,
        empty_label="Everyone",
        label="Required of",
    )
    due_within_days = forms.IntegerField(
        label="Due within (days of joining)", min_value=1, max_value=730, initial=30
    )

    def __init__(self, *args, courses, job_roles: list[JobRole], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["job_role"].queryset = JobRole.objects.filter(
            pk__in=[r.pk for r in job_roles]
        )


STATUS_FILTERS = [
    ("", "Any status"),
    ("not_compliant", "Not compliant"),
    ("compliant", "Compliant"),
    ("overdue", "Overdue"),
    (Status.EXPIRING, "Has one expiring"),
    (Status.EXPIRED, "Has one expired"),
    (Status.IN_PROGRESS, "Has one in progress"),
    (Status.NONE, "Has one not started"),
]


class DashboardQueryForm(forms.Form):
    """The dashboard's filters, search, sorting and page, from the query string.
    An invalid value is ignored (the field falls back to its default)."""

    q = forms.CharField(required=False, label="Search name or e-mail", max_length=100)
    job_role = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Job role"
    )
    status = forms.ChoiceField(required=False, choices=STATUS_FILTERS)
    expiring_within = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=3650,
        label="Expiring within (days)",
    )
    sort = forms.ChoiceField(required=False, label="Sort by")
    desc = forms.BooleanField(required=False, label="Reverse order")
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, job_roles: list[JobRole], columns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job_role"].choices = [("", "Any job role")] + [
            (str(r.pk), r.name) for r in job_roles
        ]
        self.fields["sort"].choices = sort_choices(columns)

    def query(self) -> dict:
        """The cleaned values (defaults for invalid ones)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "search": data.get("q") or "",
            "job_role": data.get("job_role"),
            "status": data.get("status") or "",
            "expiring_within": data.get("expiring_within"),
            "sort": data.get("sort") or "name",
            "descending": bool(data.get("desc")),
        }


class SeatAssignForm(forms.Form):
    """Give a free seat to a member who shares their status, by their address."""

    product = forms.ChoiceField(label="Seat in")
    email = forms.EmailField(label="Member's e-mail address", max_length=254)

    def __init__(self, *args, pools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [
            (pool.key, f"{pool.label} ({pool.free} free)")
            for pool in pools
            if pool.free > 0
        ]

    def clean_product(self) -> tuple[int | None, int | None]:
        """(course id, bundle id) of the chosen pool."""
        kind, _, pk = self.cleaned_data["product"].partition(":")
        return (int(pk), None) if kind == "course" else (None, int(pk))


class SeatRedeemForm(forms.Form):
    code = forms.CharField(
        label="Seat code",
        max_length=40,
        help_text="16 letters and digits, as in your e-mail; dashes and spaces are "
        "optional.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )


PASS_CHOICES = [("pass", "Pass"), ("fail", "Fail")]


class SkillsCheckForm(forms.Form):
    """The record of a skills check: the date and place, each checklist item passed
    or not, the overall result, a note, the attestation. The item fields are named
    item-<item id> and built from the course's checklist."""

    checked_on = forms.DateField(
        label="Date of the check", widget=forms.DateInput(attrs={"type": "date"})
    )
    location = forms.CharField(
        label="Where", max_length=200, help_text='e.g. "Skills lab, 3rd floor".'
    )

    def __init__(self, *args, items, attestation: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item-{item.key}"] = forms.ChoiceField(
                label=item.title,
                help_text=item.criterion,
                choices=PASS_CHOICES,
                widget=forms.RadioSelect,
            )
        self.fields["result"] = forms.ChoiceField(
            label="Overall result",
            choices=PASS_CHOICES,
            widget=forms.RadioSelect,
            help_text="Passed only when every item passed.",
        )
        self.fields["note"] = forms.CharField(
            label="Note",
            required=False,
            max_length=1000,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text="What to practice, how it went.",
        )
        self.fields["attested"] = forms.BooleanField(
            label=attestation,
            required=True,
            error_messages={"required": "Tick the attestation to record the check."},
        )

    def item_fields(self):
        return [self[f"item-{item.key}"] for item in self.items]

    def results(self) -> dict[str, bool]:
        return {
            item.key: self.cleaned_data[f"item-{item.key}"] == "pass"
            for item in self.items
        }

    def clean(self):
        data = super().clean()
        if data.get("result") == "pass" and any(
            data.get(f"item-{item.key}") == "fail" for item in self.items
        ):
            self.add_error(
                "result", "A skills check passes only when every item passed."
            )
        return data


class SkillsRevokeForm(forms.Form):
    reason = forms.CharField(
        label="Why is it revoked?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with the revocation. The member's certificate no longer "
        "states a passed check.",
    )


class SkillsSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search name or e-mail", max_length=100)
