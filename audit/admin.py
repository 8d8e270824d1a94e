"""The audit trail in the admin: read-only, filterable, one learner's history a click
from their user page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from core.admin import LargeTableAdmin, ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(LargeTableAdmin, ReadOnlyAdmin):
    list_display = [
        "created_at",
        "action",
        "subject_label",
        "target_label",
        "actor_label",
        "interface",
    ]
    list_filter = ["action", "interface", "created_at"]
    search_fields = ["^subject_label", "^actor_label"]
    search_help_text = (
        "The e-mail address, or its beginning, of the learner the decision is "
        "about or of the person who took it."
    )
    list_select_related = False
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def get_search_results(self, request, queryset, search_term):
        """Events whose subject or actor label (an e-mail address, kept after the
        account is gone) begins with the term, each on its pattern index. The
        labels are lower-case like the addresses (accounts.User)."""
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        return queryset.filter(
            Q(subject_label__startswith=term) | Q(actor_label__startswith=term)
        ), False

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        # One learner's history (linked from the user page) or one row's.
        if lookup in {"subject__id__exact", "target_type", "target_id"}:
            return True
        return super().lookup_allowed(lookup, value, request)
