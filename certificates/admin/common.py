"""What both evidence admins share."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import helpers
from django.http import HttpRequest


class ReadOnlyEvidenceAdmin(admin.ModelAdmin):
    """Rows are created by the application, never added, edited or deleted by hand.

    The "change" permission is what allows the actions on them (revoke, review); the
    object pages are view-only for everyone.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def intermediate_context(
    model_admin: admin.ModelAdmin, request: HttpRequest, **context
) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        **context,
    }
