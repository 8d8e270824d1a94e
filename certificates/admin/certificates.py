"""Certificates in the admin: view-only, revoked through the service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from core.admin import LargeTableAdmin

from ..forms import RevokeForm
from ..models import Certificate, RenewalReminder
from ..selectors import certificates_search
from ..services.revocation import certificate_revoke
from .common import ReadOnlyEvidenceAdmin, intermediate_context


class RenewalReminderInline(admin.TabularInline):
    model = RenewalReminder
    fields = ("kind", "claimed_at", "sent_at", "failed_at", "failure")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("claimed_at",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReminderRefusedFilter(admin.SimpleListFilter):
    """Certificates with a reminder the mail server refused for good.

    An EXISTS on the refused reminders' partial index, not a join of every
    reminder followed by a DISTINCT over the certificates (seconds at 300,000)."""

    title = "reminder refused"
    parameter_name = "reminder_refused"

    def lookups(self, request, model_admin):
        return [("yes", "A reminder refused"), ("no", "None refused")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        refused = Exists(
            RenewalReminder.objects.filter(
                certificate=OuterRef("pk"), failed_at__isnull=False
            )
        )
        return queryset.filter(refused if self.value() == "yes" else ~refused)


@admin.register(Certificate)
class CertificateAdmin(LargeTableAdmin, ReadOnlyEvidenceAdmin):
    list_display = (
        "code",
        "holder_name",
        "course_code",
        "issued_on",
        "expires_on",
        "verification_status",
        "holder_email",
    )
    # Staff find e-mails the mail server refused for good (not retried): a wrong or
    # closed address to correct with the learner.
    list_filter = (
        "status",
        "course",
        ("issued_at", admin.DateFieldListFilter),
        "email_failed_at",
        ReminderRefusedFilter,
    )
    search_fields = ("=code", "holder_name", "user__email")
    search_help_text = (
        "A certificate code, an e-mail address (or its beginning), or words of the "
        "holder's name."
    )
    list_select_related = ("user",)
    # Newest first on (issued_at, id): an index.
    ordering = ("-issued_at", "-id")
    readonly_fields = ("verification_status", "links")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "verification_status",
                    "links",
                    "holder_name",
                    "user",
                    "enrollment",
                )
            },
        ),
        (
            "What it certifies",
            {
                "fields": (
                    "course",
                    "course_title",
                    "course_code",
                    "hours",
                    "issued_on",
                    "expires_on",
                )
            },
        ),
        (
            "Issuing",
            {
                "fields": (
                    "issued_at",
                    "pdf",
                    "email_claimed_at",
                    "emailed_at",
                    "email_failed_at",
                    "email_failure",
                )
            },
        ),
        (
            "Revocation",
            {"fields": ("status", "revoked_at", "revoked_by", "revoke_reason")},
        ),
    )
    inlines = [RenewalReminderInline]
    actions = ["revoke"]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return certificates_search(queryset=queryset, term=search_term), False

    @admin.display(description="Status")
    def verification_status(self, obj: Certificate) -> str:
        """What the public verification page says today."""
        return obj.display_status().capitalize()

    @admin.display(description="Holder e-mail", ordering="user__email")
    def holder_email(self, obj: Certificate) -> str:
        return obj.user.email

    @admin.display(description="Links")
    def links(self, obj: Certificate) -> str:
        return format_html(
            '<a href="{}">Download the PDF</a> · <a href="{}">Public verification'
            " page</a>",
            reverse("certificates:pdf", args=[obj.code]),
            obj.get_absolute_url(),
        )

    @admin.action(description="Revoke selected certificates…", permissions=["change"])
    def revoke(
        self, request: HttpRequest, queryset: QuerySet[Certificate]
    ) -> HttpResponse | None:
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            revoked = 0
            for certificate in queryset:
                if certificate_revoke(
                    certificate=certificate, by=request.user, reason=reason
                ):
                    revoked += 1
                    self.log_change(request, certificate, f"Revoked: {reason}")
            already = queryset.count() - revoked
            self.message_user(
                request, f"Revoked {revoked} certificate(s).", messages.SUCCESS
            )
            if already:
                self.message_user(
                    request,
                    f"{already} selected certificate(s) were already revoked; "
                    "they are unchanged.",
                    messages.WARNING,
                )
            return None
        context = intermediate_context(
            self,
            request,
            title="Revoke certificates",
            form=form,
            certificates=queryset.select_related("user"),
            action_name="revoke",
        )
        return TemplateResponse(
            request, "certificates/admin_certificate_revoke.html", context
        )


@admin.register(RenewalReminder)
class RenewalReminderAdmin(LargeTableAdmin, ReadOnlyEvidenceAdmin):
    """Every renewal reminder, newest first: which went out, which the mail server
    refused for good (to correct the address with the learner). Written by the
    daily reminder task only."""

    list_display = (
        "claimed_at",
        "certificate",
        "kind",
        "sent_at",
        "failed_at",
    )
    list_filter = (
        "kind",
        ("claimed_at", admin.DateFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("certificate",)
    search_fields = ("=certificate__code", "certificate__holder_name")
    search_help_text = CertificateAdmin.search_help_text
    ordering = ("-claimed_at", "-id")
    fields = ("certificate", "kind", "claimed_at", "sent_at", "failed_at", "failure")
    readonly_fields = fields
    raw_id_fields = ("certificate",)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        certificates = certificates_search(
            queryset=Certificate.objects.all(), term=search_term
        )
        return queryset.filter(certificate__in=certificates.values("pk")), False
