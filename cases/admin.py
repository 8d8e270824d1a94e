"""The cases in the admin: a case's definition edited as the YAML of its file and
checked by the engine (problems with their line), the course's rule lessons, and
attempts read-only with their log. Statistics per case sit beside the exams'."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin import LearnerSearchAdmin
from core.admin import LabeledTabularInline, LabelsInOneQueryFilter, ReadOnlyAdmin
from courses.admin import SyncedRowAdmin
from courses.models import CourseImage, Lesson

from .engine import validate_rules
from .files import case_yaml, read_case_yaml
from .models import Case, CaseAttempt, CaseEvent, CaseRules
from .selectors import clock


class CaseAdminForm(forms.ModelForm):
    """The definition as its file's YAML. On save it must pass the engine's
    validation against the course's lessons, monitor strips and rule lessons, as
    `sync_content` checks the file; the columns copied from it (title, order,
    toolkit, briefing, patient, algorithm) follow it."""

    definition_yaml = forms.CharField(
        label="Definition (YAML)",
        widget=forms.Textarea(attrs={"rows": 40, "cols": 100, "spellcheck": "false"}),
        help_text="The case file as in content/<course>/cases/<slug>.yaml "
        "(docs/CONTENT_FORMAT.md, “Case simulations”). Saving checks it like "
        "sync_content; an edit here is a conflict for the next sync until the file "
        "says the same (export_content writes it back).",
    )

    class Meta:
        model = Case
        fields = ("course", "slug", "is_required", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.definition:
            self.fields["definition_yaml"].initial = case_yaml(self.instance.definition)

    def clean(self) -> dict:
        cleaned = super().clean()
        # A saved case's course is read-only (not in the form's data).
        course = cleaned.get("course") or (
            self.instance.course if self.instance.course_id else None
        )
        text = cleaned.get("definition_yaml")
        if course is None or text is None:
            return cleaned
        rules = CaseRules.objects.filter(course=course).first()
        definition, problems = read_case_yaml(
            text,
            lessons=set(
                Lesson.objects.filter(course=course).values_list("slug", flat=True)
            ),
            images=set(
                CourseImage.objects.filter(course=course).values_list("path", flat=True)
            ),
            rule_lessons=dict(rules.lessons) if rules else None,
        )
        if problems:
            self.add_error(
                "definition_yaml",
                [f"line {line}: {message}" for line, message in problems],
            )
            return cleaned
        self.instance.definition = definition
        self.instance.title = definition["title"]
        self.instance.order = definition.get("order", 0)
        self.instance.toolkit = definition["toolkit"]
        self.instance.summary = definition.get("summary", "")
        self.instance.patient = definition.get("patient", "")
        self.instance.algorithm = definition.get("algorithm", "")
        return cleaned


@admin.register(Case)
class CaseAdmin(SyncedRowAdmin):
    form = CaseAdminForm
    list_display = (
        "title",
        "course",
        "slug",
        "toolkit",
        "is_required",
        "is_active",
        "order",
        "edited",
        "statistics_link",
    )
    list_filter = ("course", "toolkit", "is_required", "is_active")
    list_select_related = ("course",)
    search_fields = ("title", "slug", "summary")
    ordering = ("course", "order", "slug")
    fields = (
        "course",
        "slug",
        "is_required",
        "is_active",
        "statistics_link",
        "definition_yaml",
    )
    readonly_fields = ("statistics_link",)

    def get_readonly_fields(self, request, obj=None):
        # A played case keeps its course and slug: its attempts and URLs name them.
        if obj is not None and obj.pk:
            return (*self.readonly_fields, "course", "slug")
        return self.readonly_fields

    @admin.display(description="Statistics")
    def statistics_link(self, obj: Case) -> str:
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">Attempts, pass rate and frequent errors</a>',
            reverse("cases:statistics", args=[obj.pk]),
        )


class CaseRulesForm(forms.ModelForm):
    """The course's rule lessons, checked as `sync_content` checks rules.yaml:
    known rules, lessons of the course, one for every rule its cases can break."""

    class Meta:
        model = CaseRules
        fields = ("course", "lessons")
        help_texts = {
            "lessons": "{generic rule id: lesson slug of this course}, as "
            "cases/rules.yaml. Every rule the course's cases can break needs one."
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        course, lessons = cleaned.get("course"), cleaned.get("lessons")
        if course is None or lessons is None:
            return cleaned
        cases = list(
            Case.objects.filter(course=course, is_active=True).values_list(
                "toolkit", "definition__team"
            )
        )
        problems = validate_rules(
            lessons,
            lessons=set(
                Lesson.objects.filter(course=course).values_list("slug", flat=True)
            ),
            toolkits={toolkit for toolkit, _ in cases},
            team=any(team is True for _, team in cases),
        )
        if problems:
            self.add_error("lessons", [str(problem) for problem in problems])
        return cleaned


@admin.register(CaseRules)
class CaseRulesAdmin(SyncedRowAdmin):
    form = CaseRulesForm
    list_display = ("course", "edited")
    list_select_related = ("course",)


class CaseEventInline(LabeledTabularInline):
    model = CaseEvent
    fields = ("seq", "clock", "kind", "text", "code", "params")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("seq",)

    @admin.display(description="Time")
    def clock(self, obj: CaseEvent) -> str:
        return clock(obj.t)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CaseAttempt)
class CaseAttemptAdmin(LearnerSearchAdmin, ReadOnlyAdmin):
    """Attempts are evidence: staff read them, with their log; nobody edits or
    deletes them here. Listed newest first on their index, searched by learner."""

    list_display = (
        "pk",
        "user",
        "case",
        "status",
        "passed",
        "ended_by",
        "sim_seconds",
        "started_at",
    )
    list_filter = (
        "status",
        "passed",
        "case__course",
        ("case", LabelsInOneQueryFilter),
        ("started_at", admin.DateFieldListFilter),
    )
    list_select_related = ("user", "case__course")
    # The attempt's page names its version (of the case) and enrollment too.
    object_select_related = (
        "version__case__course",
        "enrollment__user",
        "enrollment__course",
    )
    exclude = ("state",)
    inlines = [CaseEventInline]
