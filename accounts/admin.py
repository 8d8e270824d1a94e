from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html

from .models import User


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
