from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html

from .models import User
from .services import PROFILE_FIELDS, user_profile_update


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "legal_name", "profession", "is_staff", "date_joined")
    list_filter = ("profession", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "legal_name", "organisation", "licence_number")
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

    def save_model(self, request, obj: User, form, change: bool) -> None:
        """A staff member's change to a learner's profile goes through the service
        (audited as a staff override; a first legal name releases the certificates
        that waited for it). The rest of the form (e-mail, permissions) saves as
        Django's user admin does."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        profile = {f: getattr(obj, f) for f in PROFILE_FIELDS if f in form.changed_data}
        stored = User.objects.get(pk=obj.pk)
        for field in profile:
            setattr(obj, field, getattr(stored, field))
        super().save_model(request, obj, form, change)
        if profile:
            user_profile_update(user=obj, data=profile, by=request.user)

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
