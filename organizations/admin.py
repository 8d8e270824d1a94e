"""Organizations in the admin: site staff create them, name their first
administrators and instructors, see every membership, and issue prepaid seats.
Every change is recorded in the audit trail through the services: the
organization's own fields and its job roles and requirements (organization.changed,
with Django's change message), each membership added or changed (membership.joined
/ membership.role_changed, the member as subject), each issue of seats
(seat.issued). Consent is never set here: only the member gives it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest

from accounts.admin import LearnerSearchAdmin
from core.admin import LabeledTabularInline
from core.errors import LifelineError
from courses.admin import SyncedRowAdmin

from .models import (
    Invitation,
    JobRole,
    Membership,
    Organization,
    Requirement,
    SeatAssignment,
    SeatGrant,
    SkillItem,
    SkillsCheck,
)
from .services import (
    membership_add_by_staff,
    membership_update_by_staff,
    organization_save,
    seats_issue,
)


class JobRoleInline(LabeledTabularInline):
    model = JobRole
    extra = 0


class RequirementInline(LabeledTabularInline):
    model = Requirement
    fields = ("course", "job_role", "due_within_days")
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields["job_role"]
        field.queryset = (
            JobRole.objects.filter(organization=obj) if obj else JobRole.objects.none()
        )
        return formset


class StaffMembershipInline(LabeledTabularInline):
    """Administrators and instructors (an organization of thousands lists its
    members on the Memberships page, not here)."""

    model = Membership
    fields = ("user", "role", "job_role", "joined_at", "left_at", "consent_given_at")
    readonly_fields = ("joined_at", "left_at", "consent_given_at")
    raw_id_fields = ("user",)
    extra = 0
    can_delete = False
    verbose_name = "administrator or instructor"
    verbose_name_plural = "administrators and instructors"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(
                left_at__isnull=True,
                role__in=[Membership.Role.ADMIN, Membership.Role.INSTRUCTOR],
            )
            .select_related("user", "job_role")
        )

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields["job_role"]
        field.queryset = (
            JobRole.objects.filter(organization=obj) if obj else JobRole.objects.none()
        )
        return formset


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "contact_email", "created_at")
    search_fields = ("name", "slug", "contact_email")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (JobRoleInline, RequirementInline, StaffMembershipInline)

    def save_model(self, request, obj, form, change) -> None:
        organization_save(organization=obj, by=request.user, changed=form.changed_data)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        # Each membership change is its own audit event (the member's history).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            [],
            [],
            [],
        )
        for inline_form in formset.forms:
            if not inline_form.has_changed() or not inline_form.is_valid():
                continue
            data = inline_form.cleaned_data
            membership = inline_form.instance
            try:
                if membership.pk is None:
                    membership_add_by_staff(
                        organization=form.instance,
                        user=data["user"],
                        role=data["role"],
                        job_role=data.get("job_role"),
                        by=request.user,
                    )
                else:
                    membership_update_by_staff(
                        membership=membership,
                        role=data["role"],
                        job_role=data.get("job_role"),
                        by=request.user,
                    )
            except LifelineError as error:
                messages.error(request, error.message)

    def save_related(self, request, form, formsets, change) -> None:
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            message = self.construct_change_message(request, form, formsets, False)
            related = [part for part in message if set(part) != {"changed"}]
            if related:
                organization_save(
                    organization=form.instance,
                    by=request.user,
                    changed=[],
                    related=related,
                )


@admin.register(Membership)
class MembershipAdmin(LearnerSearchAdmin):
    """Every membership, to find one (by learner, or by organization in the
    filter); roles are changed through the service."""

    list_display = (
        "user",
        "organization",
        "role",
        "job_role",
        "joined_at",
        "left_at",
        "sharing",
    )
    list_filter = ("organization", "role", ("left_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "organization", "job_role")
    # By organization (its id: an index), then in joining order.
    ordering = ("organization_id", "joined_at", "id")
    fields = (
        "organization",
        "user",
        "role",
        "job_role",
        "joined_at",
        "left_at",
        "consent_given_at",
        "consent_withdrawn_at",
    )
    readonly_fields = (
        "organization",
        "user",
        "joined_at",
        "left_at",
        "consent_given_at",
        "consent_withdrawn_at",
    )

    @admin.display(boolean=True)
    def sharing(self, obj: Membership) -> bool:
        return obj.sharing

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # from the organization's page, through the service

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "job_role" in form.base_fields:
            form.base_fields["job_role"].queryset = JobRole.objects.filter(
                organization_id=obj.organization_id
            )
        return form

    def save_model(self, request, obj, form, change) -> None:
        try:
            membership_update_by_staff(
                membership=obj,
                role=form.cleaned_data["role"],
                job_role=form.cleaned_data.get("job_role"),
                by=request.user,
            )
        except LifelineError as error:
            messages.error(request, error.message)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent and withdrawn by the organization's
    administrators."""

    list_display = ("email", "organization", "state", "sent_at", "expires_at")
    list_filter = ("organization",)
    search_fields = ("email", "organization__name")
    list_select_related = ("organization",)
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SeatGrant)
class SeatGrantAdmin(admin.ModelAdmin):
    """Staff issue prepaid seats here (what an organization bought: there is no
    payment in Lifeline); each issue is recorded (seat.issued). Issued seats are
    never edited or deleted: their codes are the organization's."""

    list_display = ("organization", "product", "quantity", "note", "issued_at")
    list_filter = ("organization",)
    search_fields = ("organization__name", "note")
    list_select_related = ("organization", "course", "bundle")
    fields = ("organization", "course", "bundle", "quantity", "note")
    autocomplete_fields = ("organization",)

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        grant = seats_issue(
            organization=data["organization"],
            course=data.get("course"),
            bundle=data.get("bundle"),
            quantity=data["quantity"],
            note=data.get("note", ""),
            by=request.user,
        )
        obj.pk = grant.pk


@admin.register(SeatAssignment)
class SeatAssignmentAdmin(admin.ModelAdmin):
    """Read-only: administrators give and withdraw codes; members redeem them."""

    list_display = (
        "code_hint",
        "membership",
        "seat",
        "assigned_at",
        "redeemed_at",
        "revoked_at",
    )
    list_filter = ("seat__grant__organization",)
    search_fields = ("membership__user__email", "code_hint")
    list_select_related = ("membership__user", "membership__organization", "seat")
    exclude = ("code_hash", "enrollments")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SkillItem)
class SkillItemAdmin(SyncedRowAdmin):
    """Skills checklists come from content/<course>/skills.yaml; an edit here is a
    sync conflict like any curriculum row's (docs/CONTENT_FORMAT.md). Recorded
    skills checks keep their own copy of the items."""

    list_display = ("title", "course", "order", "is_active", "edited")
    list_filter = ("course", "is_active")
    search_fields = ("title", "criterion", "key")
    list_select_related = ("course",)
    fields = (
        "course",
        "key",
        "title",
        "criterion",
        "lesson_slug",
        "order",
        "is_active",
    )
    readonly_fields = ("course", "key")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # items come from the content files


@admin.register(SkillsCheck)
class SkillsCheckAdmin(admin.ModelAdmin):
    """Read-only: instructors record checks and revoke them (with a reason) from
    the organization's pages; each decision is in the audit trail."""

    list_display = (
        "membership",
        "course",
        "checked_on",
        "instructor_name",
        "passed",
        "revoked_at",
    )
    list_filter = ("organization", "course", "passed")
    search_fields = ("membership__user__email", "instructor_name", "location")
    list_select_related = ("membership__user", "membership__organization", "course")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
