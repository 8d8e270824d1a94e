"""Open Badges credentials in the admin: the published signing keys and status lists,
read-only (the services write them; docs/ARCHITECTURE.md, "Open Badges 3.0
credentials")."""

from __future__ import annotations

from django.contrib import admin

from ..models import SigningKey, StatusList
from .common import ReadOnlyEvidenceAdmin


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyEvidenceAdmin):
    list_display = ["thumbprint", "first_used_at"]
    fields = ["thumbprint", "first_used_at", "public_jwk"]
    readonly_fields = fields


@admin.register(StatusList)
class StatusListAdmin(ReadOnlyEvidenceAdmin):
    list_display = ["number", "published_at", "key_thumbprint"]
    fields = ["number", "published_at", "key_thumbprint", "encoded_list"]
    readonly_fields = fields
