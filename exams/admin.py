from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.admin import LearnerSearchAdmin
from core.admin import LabeledTabularInline, LabelsInOneQueryFilter, ReadOnlyAdmin
from courses.markdown import key_points

from . import selectors, services
from .models import Attempt, AttemptQuestion, Choice, Exam, Question


class BankAdmin(admin.ModelAdmin):
    """Edits of exams and questions, and of those in its inlines, go through
    services.bank_row_save, which records taking them in or out of use."""

    def save_model(self, request, obj, form, change) -> None:
        services.bank_row_save(row=obj, actor=request.user)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model not in (Exam, Question):
            super().save_formset(request, form, formset, change)
            return
        for obj in formset.save(commit=False):
            services.bank_row_save(row=obj, actor=request.user)
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class QuestionInline(LabeledTabularInline):
    model = Question
    fields = ("order", "key", "topic", "is_active", "review_lesson")
    extra = 0
    ordering = ("order", "id")
    show_change_link = True
    # Text, explanation and choices are edited on the question's own page.
    can_delete = False
    max_num = 0
    readonly_fields = ("key", "topic", "review_lesson")


@admin.register(Exam)
class ExamAdmin(BankAdmin):
    list_display = (
        "title",
        "course",
        "kind",
        "module",
        "pass_mark",
        "draw_size",
        "active_questions",
        "is_active",
        "statistics_link",
    )
    list_filter = ("course", "kind", "is_active")
    list_select_related = ("course", "module")
    search_fields = ("title", "course__title", "module__title")
    fields = (
        "course",
        "kind",
        "module",
        "title",
        "pass_mark",
        "draw_size",
        "time_limit_minutes",
        "shuffle",
        "blueprint",
        "statistics_link",
        "quality_warnings",
    )
    # The blueprint is checked against the pools by sync_content: set in the files.
    readonly_fields = ("blueprint", "statistics_link", "quality_warnings")
    inlines = [QuestionInline]
    actions = ["activate", "deactivate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Exam]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_count=Count("questions", filter=Q(questions__is_active=True))
            )
        )

    @admin.display(description="Active questions", ordering="active_count")
    def active_questions(self, obj: Exam) -> int:
        return obj.active_count

    @admin.display(description="Statistics")
    def statistics_link(self, obj: Exam) -> str:
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">Attempts and item analysis</a>',
            reverse("exams:statistics", args=[obj.pk]),
        )

    @admin.display(description="Item-quality warnings")
    def quality_warnings(self, obj: Exam) -> str:
        """The item-quality gates over this bank as saved (exams.quality)."""
        if not obj.pk:
            return "-"
        findings = selectors.exam_bank_findings(exam=obj)
        if not findings:
            return "None: this bank passes every item-quality gate."
        return format_html(
            '<ul class="messagelist" data-quality-warnings>{}</ul>',
            format_html_join(
                "",
                '<li class="warning">{}: {}</li>',
                ((finding.code, finding.message) for finding in findings),
            ),
        )

    @admin.action(description="Activate selected exams (offered, needed to complete)")
    def activate(self, request, queryset):
        changed = services.exams_activate(exams=queryset, actor=request.user)
        self.message_user(request, f"{len(changed)} activated.")

    @admin.action(description="Deactivate selected exams (kept as evidence only)")
    def deactivate(self, request, queryset):
        changed = services.exams_activate(
            exams=queryset, actor=request.user, active=False
        )
        self.message_user(request, f"{len(changed)} deactivated.")


class ChoiceForm(forms.ModelForm):
    class Meta:
        model = Choice
        fields = ("order", "text", "is_correct")

    def validate_constraints(self) -> None:
        # "One correct choice per question" is checked across the whole formset
        # (ChoiceFormSet.clean): row by row it would compare against the very rows
        # this save changes, e.g. when the correct mark moves to another choice.
        try:
            self.instance.validate_constraints(exclude={"is_correct"})
        except ValidationError as error:
            self.add_error(None, error)


class ChoiceFormSet(forms.BaseInlineFormSet):
    """A question has exactly one correct choice (the database allows at most one)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if len(kept) < 2:
            raise forms.ValidationError("A question needs at least two choices.")
        correct = sum(1 for form in kept if form.cleaned_data.get("is_correct"))
        if correct != 1:
            raise forms.ValidationError(
                f"Mark exactly one choice as correct ({correct} marked)."
            )


class ChoiceInline(LabeledTabularInline):
    model = Choice
    form = ChoiceForm
    formset = ChoiceFormSet
    fields = ("order", "text", "is_correct")
    extra = 0
    min_num = 2
    ordering = ("order", "id")


class EnemiesField(forms.ModelMultipleChoiceField):
    """Questions of the same exam, chosen by key (Question.enemies holds keys)."""

    def label_from_instance(self, obj: Question) -> str:
        inactive = "" if obj.is_active else " (inactive)"
        return f"{obj.key}: {obj.topic}{inactive}"


class QuestionAdminForm(forms.ModelForm):
    enemies = EnemiesField(
        queryset=Question.objects.none(),
        to_field_name="key",
        required=False,
        widget=FilteredSelectMultiple("enemies", is_stacked=False),
        help_text="Questions of this exam never drawn in the same attempt as this "
        "one: it gives their answer away, or they give its. One side is enough (see "
        "“Named as an enemy by”).",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        exam_id = self.instance.exam_id if self.instance.pk else None
        field = self.fields["enemies"]
        if exam_id is None:
            field.help_text = "Save the question first, then choose its enemies."
        else:
            field.queryset = (
                Question.objects.filter(exam_id=exam_id)
                .exclude(pk=self.instance.pk)
                .order_by("order", "id")
            )

    class Meta:
        model = Question
        fields = (
            "exam",
            "key",
            "order",
            "is_active",
            "topic",
            "review_lesson",
            "text_md",
            "image",
            "image_alt",
            "explanation_md",
            "key_point",
            "vignette",
            "enemies",
        )

    def clean_enemies(self) -> list[str]:
        """The chosen keys: those already listed keep their order (saving unchanged
        keeps the fingerprint), new ones follow in bank order."""
        chosen = [question.key for question in self.cleaned_data["enemies"]]
        listed = [key for key in self.instance.enemies or [] if key in chosen]
        return listed + [key for key in chosen if key not in listed]

    def clean(self) -> dict:
        cleaned = super().clean()
        exam, lesson = cleaned.get("exam"), cleaned.get("review_lesson")
        if exam and lesson and lesson.course_id != exam.course_id:
            self.add_error(
                "review_lesson", "Choose a lesson of the exam's course to review."
            )
        number = cleaned.get("key_point")
        if number is not None:
            if lesson is None:
                self.add_error("key_point", "A key point needs the lesson to review.")
            else:
                count = len(key_points(lesson.body_md))
                if number > count:
                    self.add_error(
                        "key_point",
                        f"The lesson “{lesson.title}” has {count} key "
                        f"point{'s' if count != 1 else ''}; choose 1 to {count}."
                        if count
                        else f"The lesson “{lesson.title}” has no Key points list.",
                    )
        enemies = cleaned.get("enemies")
        if exam and enemies and exam.pk != self.instance.exam_id:
            # The choices were the old exam's questions.
            self.add_error(
                "enemies",
                "Enemies are questions of the same exam: clear them to move the "
                "question to another exam.",
            )
        return cleaned


@admin.register(Question)
class QuestionAdmin(BankAdmin):
    """A bank question with its choices. Text and explanation are Markdown, rendered
    and sanitized when saved, like lessons."""

    form = QuestionAdminForm
    list_display = ("key", "exam", "topic", "review_lesson", "is_active", "edited")
    list_filter = ("is_active", "exam__course", "exam")
    list_select_related = ("exam__course", "review_lesson")
    search_fields = ("key", "text_md", "topic", "explanation_md")
    autocomplete_fields = ("review_lesson",)
    fields = (*QuestionAdminForm.Meta.fields, "named_as_enemy_by", "rendered")
    readonly_fields = ("named_as_enemy_by", "rendered")
    inlines = [ChoiceInline]
    actions = ["activate", "deactivate"]

    @admin.display(description="As learners see it")
    def rendered(self, obj: Question) -> str:
        if not obj.pk:
            return "Shown after saving."
        # Both were sanitized by the Markdown renderer when the question was saved.
        return format_html(
            '<div class="prose">{}</div><p><strong>Explanation</strong></p>'
            '<div class="prose">{}</div>',
            mark_safe(obj.text_html),  # noqa: S308
            mark_safe(obj.explanation_html),  # noqa: S308
        )

    @admin.display(description="Named as an enemy by")
    def named_as_enemy_by(self, obj: Question) -> str:
        """The questions of the exam whose own list names this one: enemies too
        (the relation is symmetric), edited on their pages."""
        if not obj.pk:
            return "-"
        naming = [
            (pk, key)
            for pk, key, enemies in Question.objects.filter(exam_id=obj.exam_id)
            .exclude(pk=obj.pk)
            .order_by("order", "id")
            .values_list("pk", "key", "enemies")
            if obj.key in (enemies or [])
        ]
        if not naming:
            return "-"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:exams_question_change", args=[pk]), key)
                for pk, key in naming
            ),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        # The "edited since sync" fingerprint reads the choices: one query for the
        # page, not one per question.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
            )
        )

    @admin.display(boolean=True, description="Edited since sync")
    def edited(self, obj: Question) -> bool:
        return obj.edited_since_sync

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is Choice:
            services.question_correct_mark_release(
                question=form.instance,
                correct_after={
                    f.instance.pk: bool(f.cleaned_data.get("is_correct"))
                    and not f.cleaned_data.get("DELETE")
                    for f in formset.initial_forms
                    if f.instance.pk
                },
            )
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Once the choices are saved too: the gates over the bank as it now stands.
        for finding in selectors.exam_bank_findings(exam=form.instance.exam):
            self.message_user(
                request,
                f"Item-quality warning ({finding.code}): {finding.message}",
                level=messages.WARNING,
            )

    @admin.action(description="Activate selected questions (drawn in new attempts)")
    def activate(self, request, queryset):
        changed = services.questions_activate(questions=queryset, actor=request.user)
        self.message_user(request, f"{len(changed)} activated.")

    @admin.action(description="Deactivate selected questions (no longer drawn)")
    def deactivate(self, request, queryset):
        changed = services.questions_activate(
            questions=queryset, actor=request.user, active=False
        )
        self.message_user(request, f"{len(changed)} deactivated.")


class AttemptQuestionInline(LabeledTabularInline):
    model = AttemptQuestion
    fields = ("position", "question", "topic", "answer", "is_correct", "answered_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("position",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AttemptQuestion]:
        # Each row names its bank question: read with the rows, not one by one.
        return super().get_queryset(request).select_related("question")

    @admin.display(description="Answer")
    def answer(self, obj: AttemptQuestion) -> str:
        choice = obj.choice_for(obj.selected_key) if obj.selected_key else None
        return choice["text"] if choice else "-"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(LearnerSearchAdmin, ReadOnlyAdmin):
    """Attempts are evidence: staff read them, nobody edits or deletes them here.

    Millions of rows: listed newest first on their index, filtered by exam on
    (exam, start), searched by learner (LearnerSearchAdmin), counted by estimate."""

    list_display = ("pk", "user", "exam", "status", "score", "passed", "started_at")
    list_filter = (
        "status",
        "passed",
        "exam__course",
        ("exam", LabelsInOneQueryFilter),
        ("started_at", admin.DateFieldListFilter),
    )
    list_select_related = ("user", "exam__course")
    inlines = [AttemptQuestionInline]
    actions = ["clear_cooldown"]

    # The attempt's page names the enrollment (its learner and course) too.
    object_select_related = ("enrollment__user", "enrollment__course")

    def has_clear_cooldown_permission(self, request) -> bool:
        return request.user.has_perm("exams.add_cooldownclearance")

    @admin.action(
        description="Clear the learner's cool-down on this exam (staff override)",
        permissions=["clear_cooldown"],
    )
    def clear_cooldown(self, request, queryset):
        """Lifts the cool-down running on each selected attempt's learner and exam,
        through the audited service (exams.services.exam_cooldown_clear)."""
        pairs = {(a.user, a.exam) for a in queryset.select_related("user", "exam")}
        cleared = [
            clearance
            for user, exam in pairs
            if (
                clearance := services.exam_cooldown_clear(
                    user=user, exam=exam, by=request.user
                )
            )
        ]
        self.message_user(
            request,
            f"{len(cleared)} cool-down{'s' if len(cleared) != 1 else ''} cleared; "
            f"{len(pairs) - len(cleared)} had none running.",
        )
