from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.admin import LearnerSearchAdmin
from core.admin import LabeledTabularInline, ReadOnlyAdmin

from . import services
from .markdown import render_markdown
from .models import (
    Bundle,
    BundleCourse,
    Course,
    CourseImage,
    Enrollment,
    InfoPage,
    Lesson,
    Module,
)


class SyncedRowAdmin(admin.ModelAdmin):
    """Rows `sync_content` owns with the admin: shows whether one was edited here since
    the last sync (such an edit is a sync conflict, docs/CONTENT_FORMAT.md)."""

    @admin.display(boolean=True, description="Edited since sync")
    def edited(self, obj) -> bool:
        return obj.edited_since_sync


class CurriculumAdmin(SyncedRowAdmin):
    """Edits of curriculum rows, and of those in its inlines, go through
    services.curriculum_row_save, which records publishing and unpublishing."""

    def save_model(self, request, obj, form, change) -> None:
        services.curriculum_row_save(row=obj, actor=request.user)

    def save_formset(self, request, form, formset, change) -> None:
        for obj in formset.save(commit=False):
            services.curriculum_row_save(row=obj, actor=request.user)
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


class LessonPreviewForm(forms.Form):
    module = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={"invalid": "module must be a lesson module's id (a number)."},
    )
    body_md = forms.CharField(required=False, strip=False)


PREVIEW_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>Preview</title>"
    '<link rel="stylesheet" href="{stylesheet}"></head>'
    '<body><main class="container"><div class="prose">{body}</div></main></body>'
    "</html>"
)


class MarkdownPreviewWidget(forms.Textarea):
    """The lesson editor: the Markdown on the left, on the right the lesson as
    learners see it (the site's renderer, sanitizer and stylesheet), side by side and
    stacked on narrow screens (static/css/admin.css).

    The preview is a sandboxed frame (no script, no same-origin access) whose page
    loads the site's own stylesheet, so the admin's styles never leak into it. It
    shows the saved lesson at first; static/js/lesson-preview.js renders the text as
    it is typed.
    """

    def __init__(self, *args, initial_html: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial_html = initial_html

    def render(self, name, value, attrs=None, renderer=None) -> str:
        textarea = super().render(name, value, attrs, renderer)
        stylesheet = static("css/site.css")
        return format_html(
            '<div class="lesson-editor">'
            '<div class="lesson-editor-pane">'
            '<p class="lesson-editor-title">Markdown</p>{}</div>'
            '<div class="lesson-editor-pane"><h3 id="lesson-preview-title">'
            "Preview, as learners see it</h3>"
            '<iframe id="lesson-preview" class="lesson-preview-frame" sandbox="" '
            'aria-labelledby="lesson-preview-title" data-preview-url="{}" '
            'data-stylesheet="{}" srcdoc="{}"></iframe></div></div>',
            textarea,
            reverse("admin:courses_lesson_preview"),
            stylesheet,
            PREVIEW_PAGE.format(
                stylesheet=stylesheet,
                # body_html was sanitized by the renderer when the lesson was saved.
                body=self.initial_html,
            ),
        )


class ModuleInline(LabeledTabularInline):
    model = Module
    fields = ("order", "title", "slug", "edit_link")
    readonly_fields = ("edit_link",)
    extra = 0
    ordering = ("order",)

    @admin.display(description="Lessons")
    def edit_link(self, obj: Module) -> str:
        if not obj.pk:
            return "-"
        url = reverse("admin:courses_module_change", args=[obj.pk])
        return format_html('<a href="{}">Edit module and lessons</a>', url)


class LessonInline(LabeledTabularInline):
    model = Lesson
    fields = ("order", "title", "slug", "minutes", "is_published")
    extra = 0
    ordering = ("order",)
    show_change_link = True


@admin.register(Course)
class CourseAdmin(CurriculumAdmin):
    list_display = (
        "title",
        "code",
        "hours",
        "validity_months",
        "is_published",
        "order",
        "edited",
    )
    list_editable = ("order",)
    list_filter = ("is_published",)
    search_fields = ("title", "code", "summary")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("prerequisites",)
    inlines = [ModuleInline]
    actions = ["publish", "unpublish"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "code",
                    "summary",
                    "audience",
                    "is_published",
                )
            },
        ),
        (
            "Certification",
            {
                "fields": (
                    "hours",
                    "validity_months",
                    "prerequisites",
                    "guidelines",
                    "accreditation",
                )
            },
        ),
        ("Catalog", {"fields": ("order", "recommended_for", "description_md")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        # The "edited since sync" fingerprint reads the prerequisites: one query for
        # the page, not one per course.
        return super().get_queryset(request).prefetch_related("prerequisites")

    @admin.action(description="Publish selected courses")
    def publish(self, request, queryset):
        changed = services.courses_publish(courses=queryset, actor=request.user)
        self.message_user(request, f"{len(changed)} published.")

    @admin.action(description="Unpublish selected courses (back to draft)")
    def unpublish(self, request, queryset):
        changed = services.courses_publish(
            courses=queryset, actor=request.user, published=False
        )
        self.message_user(request, f"{len(changed)} unpublished.")


@admin.register(Module)
class ModuleAdmin(CurriculumAdmin):
    list_display = ("title", "course", "order")
    list_filter = ("course",)
    search_fields = ("title", "slug")
    list_select_related = ("course",)
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(CurriculumAdmin):
    """The lesson editor: Markdown on the left, the sanitized preview beside it."""

    list_display = ("title", "module", "course", "minutes", "is_published", "edited")
    list_filter = ("is_published", "course", "module")
    list_select_related = ("course", "module")
    search_fields = ("title", "slug", "body_md")
    fields = (
        "module",
        "title",
        "slug",
        "minutes",
        "order",
        "is_published",
        "body_md",
    )
    actions = ["publish", "unpublish"]

    class Media:
        js = ("js/lesson-preview.js",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["body_md"].widget = MarkdownPreviewWidget(
            initial_html=obj.body_html if obj else ""
        )
        return form

    def get_urls(self):
        urls = [
            path(
                "preview/",
                self.admin_site.admin_view(require_POST(self.preview_view)),
                name="courses_lesson_preview",
            )
        ]
        return urls + super().get_urls()

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """Renders posted Markdown with the site's own renderer and sanitizer; images
        resolve against the module's course. A `module` that is not a number is a
        400 with the reason, not a server error."""
        form = LessonPreviewForm(request.POST)
        if not form.is_valid():
            errors = "; ".join(
                f"{name}: {' '.join(errs)}" for name, errs in form.errors.items()
            )
            return JsonResponse({"error": errors}, status=400)
        module = (
            Module.objects.select_related("course")
            .filter(pk=form.cleaned_data["module"])
            .first()
        )
        slug = module.course.slug if module else "preview"
        rendered = render_markdown(form.cleaned_data["body_md"], course_slug=slug)
        return JsonResponse({"html": rendered.html})

    def view_on_site(self, obj: Lesson) -> str:
        # Staff may open drafts: the lesson view shows them a preview.
        return reverse(
            "courses:lesson", args=[obj.course.slug, obj.module.slug, obj.slug]
        )

    @admin.action(description="Publish selected lessons")
    def publish(self, request, queryset):
        changed = services.lessons_publish(lessons=queryset, actor=request.user)
        self.message_user(request, f"{len(changed)} published.")

    @admin.action(description="Unpublish selected lessons (back to draft)")
    def unpublish(self, request, queryset):
        changed = services.lessons_publish(
            lessons=queryset, actor=request.user, published=False
        )
        self.message_user(request, f"{len(changed)} unpublished.", messages.WARNING)


@admin.register(CourseImage)
class CourseImageAdmin(admin.ModelAdmin):
    """Images come from content/images through sync_content: their path names a
    file in exports and a URL, so it is never typed in here."""

    list_display = ("path", "course", "content_type")
    list_filter = ("course",)
    search_fields = ("path",)
    fields = ("course", "path", "content_type", "sha256")
    readonly_fields = ("course", "path", "content_type", "sha256")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class BundleCourseInline(LabeledTabularInline):
    model = BundleCourse
    extra = 0


@admin.register(Bundle)
class BundleAdmin(CurriculumAdmin):
    list_display = ("title", "is_published", "order")
    inlines = [BundleCourseInline]


@admin.register(InfoPage)
class InfoPageAdmin(SyncedRowAdmin):
    """About, accreditation, privacy, terms and contact: synced from content/pages/
    like lessons (an edit here is a sync conflict until exported or forced)."""

    list_display = ("title", "slug", "is_published", "order", "edited")
    list_editable = ("order",)
    prepopulated_fields = {"slug": ("title",)}
    fields = ("title", "slug", "summary", "order", "is_published", "body_md")


@admin.register(Enrollment)
class EnrollmentAdmin(LearnerSearchAdmin, ReadOnlyAdmin):
    """Learners' enrollments, to find one: read-only (the learner's record, changed
    only by enrolling, studying and completing), newest first, searched by learner,
    with links to its attempts and its certificate."""

    list_display = (
        "user",
        "course",
        "status",
        "enrolled_at",
        "activated_at",
        "completed_at",
        "bundle",
    )
    list_filter = (
        "status",
        "course",
        "bundle",
        ("enrolled_at", admin.DateFieldListFilter),
        ("completed_at", admin.DateFieldListFilter),
    )
    list_select_related = ("user", "course", "bundle")
    object_select_related = ("last_lesson",)
    ordering = ("-enrolled_at", "-id")
    fields = (
        "user",
        "course",
        "bundle",
        "status",
        "enrolled_at",
        "activated_at",
        "completed_at",
        "last_lesson",
        "records",
    )
    readonly_fields = fields

    @admin.display(description="Records")
    def records(self, obj: Enrollment) -> str:
        return format_html(
            '<a href="{}?enrollment__id__exact={}">Exam attempts</a> · '
            '<a href="{}?enrollment__id__exact={}">Certificate</a>',
            reverse("admin:exams_attempt_changelist"),
            obj.pk,
            reverse("admin:certificates_certificate_changelist"),
            obj.pk,
        )
