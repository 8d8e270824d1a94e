"""The audit trail in the admin: read-only, filterable, one learner's history a click
from their user page."""

from __future__ import annotations

from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "action",
        "subject_label",
        "target_label",
        "actor_label",
        "interface",
    ]
    list_filter = ["action", "interface", "created_at"]
    search_fields = ["subject_label", "actor_label", "target_label", "target_id"]
    date_hierarchy = "created_at"
    list_select_related = False
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    show_full_result_count = False

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # One learner's history (linked from the user page) or one row's.
        if lookup in {"subject__id__exact", "target_type", "target_id"}:
            return True
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
