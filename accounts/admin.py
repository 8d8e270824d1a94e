from contextvars import ContextVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.urls import reverse
from django.utils.html import format_html

from core.admin import LargeTableAdmin

from .models import User
from .selectors import users_matching
from .services import (
    ACCESS_FIELDS,
    PROFILE_FIELDS,
    user_access_update,
    user_profile_update,
)

# Who is changing a password in the admin's password view (set around that view).
_password_changed_by: ContextVar[User | None] = ContextVar(
    "password_changed_by", default=None
)


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" form, saved through user_access_update (audited
    as "password changed", never the hash)."""

    def save(self, commit: bool = True) -> User:
        by = _password_changed_by.get()
        if by is None:  # not from UserAdmin.user_change_password
            raise RuntimeError("AuditedPasswordChangeForm needs the staff member")
        scratch = User(password=self.user.password)
        self.set_password_and_save(scratch, commit=False)
        user_access_update(
            user=self.user, by=by, changes={"password": scratch.password}
        )
        return self.user


LEARNER_SEARCH_HELP = (
    "An e-mail address or its beginning, or words of the learner's legal name."
)


class LearnerSearchAdmin(LargeTableAdmin):
    """A large table searched by its learner: the search finds the accounts first,
    through their indexes (accounts.selectors.users_matching), then the rows whose
    `learner_field` is one of them (the rows' index on that field), never a substring
    match across a join that reads every row."""

    learner_field = "user"
    # Shown as the search box; the search itself is get_search_results.
    search_fields = ("user__email", "user__legal_name")
    search_help_text = LEARNER_SEARCH_HELP

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        learners = users_matching(term=search_term).values("pk")
        return queryset.filter(**{f"{self.learner_field}__in": learners}), False


@admin.register(User)
class UserAdmin(LargeTableAdmin, BaseUserAdmin):
    # The e-mail's unique index serves this order.
    ordering = ("email",)
    list_display = ("email", "legal_name", "profession", "is_staff", "date_joined")
    list_filter = ("profession", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "legal_name")
    search_help_text = LEARNER_SEARCH_HELP
    readonly_fields = ("last_login", "date_joined", "history")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Profile",
            {
                "fields": (
                    "legal_name",
                    "profession",
                    "organisation",
                    "licence_number",
                    "renewal_reminders",
                )
            },
        ),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined", "history")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )

    change_password_form = AuditedPasswordChangeForm

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=users_matching(term=search_term)), False

    def save_model(self, request, obj: User, form, change: bool) -> None:
        """A staff member's change to a learner's profile goes through the service
        (audited as a staff override; a first legal name releases the certificates
        that waited for it); a change to their access (e-mail, active, staff,
        superuser, groups, permissions) through user_access_update, in save_related
        once the groups and permissions are known. Nothing else of the form writes."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        profile = {f: getattr(obj, f) for f in PROFILE_FIELDS if f in form.changed_data}
        access = {
            f: form.cleaned_data[f]
            for f in ACCESS_FIELDS
            if f != "password" and f in form.changed_data
        }
        stored = User.objects.get(pk=obj.pk)
        for field in [*profile, *access]:
            if field not in ("groups", "user_permissions"):
                setattr(obj, field, getattr(stored, field))
        super().save_model(request, obj, form, change)
        if profile:
            user_profile_update(user=obj, data=profile, by=request.user)
        form.access_changes = access

    def save_related(self, request, form, formsets, change: bool) -> None:
        access = getattr(form, "access_changes", None)
        if access is None:  # adding a user: Django's own save
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        if access:
            user_access_update(user=form.instance, by=request.user, changes=access)

    def user_change_password(self, request, id, form_url=""):
        token = _password_changed_by.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_changed_by.reset(token)

    @admin.display(description="History")
    def history(self, obj: User) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:audit_auditevent_changelist")
        return format_html(
            '<a href="{}?subject__id__exact={}">Every decision about this learner</a>',
            url,
            obj.pk,
        )
