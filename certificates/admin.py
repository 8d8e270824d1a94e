"""Certificates and outside cards in the admin.

Both are evidence: nothing here edits or deletes them. Staff act through the services:
revoke a certificate, approve or reject an outside card; each asks for a reason or a
note on an intermediate page, and the service records who did it and when (on the row
and in the audit trail). A card page lists every decision taken on it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.errors import LifelineError

from . import selectors
from .forms import ReviewForm, RevokeForm
from .models import Certificate, ExternalCertificate, RenewalReminder
from .services.external import external_certificate_review
from .services.revocation import certificate_revoke


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


def _intermediate_context(
    model_admin: admin.ModelAdmin, request: HttpRequest, **context
) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        **context,
    }


class RenewalReminderInline(admin.TabularInline):
    model = RenewalReminder
    fields = ("kind", "claimed_at", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("claimed_at",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyEvidenceAdmin):
    list_display = (
        "code",
        "holder_name",
        "course_code",
        "issued_on",
        "expires_on",
        "verification_status",
        "holder_email",
    )
    list_filter = ("status", "course", "issued_on")
    search_fields = ("code", "holder_name", "user__email")
    list_select_related = ("user",)
    date_hierarchy = "issued_on"
    ordering = ("-issued_at",)
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
            {"fields": ("issued_at", "pdf", "email_claimed_at", "emailed_at")},
        ),
        (
            "Revocation",
            {"fields": ("status", "revoked_at", "revoked_by", "revoke_reason")},
        ),
    )
    inlines = [RenewalReminderInline]
    actions = ["revoke"]

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
        context = _intermediate_context(
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


class ReviewQueueFilter(admin.SimpleListFilter):
    """Opens on the cards waiting for review: the queue is the default view."""

    title = "review status"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [*ExternalCertificate.Status.choices, ("all", "All")]

    def value(self) -> str:
        return super().value() or ExternalCertificate.Status.PENDING

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        return queryset.filter(status=self.value())

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: lookup}
                ),
                "display": title,
            }


@admin.register(ExternalCertificate)
class ExternalCertificateAdmin(ReadOnlyEvidenceAdmin):
    list_display = (
        "uploaded_at",
        "user",
        "course",
        "issuer",
        "card_number",
        "issued_on",
        "expires_on",
        "status",
        "file_link",
    )
    list_filter = (ReviewQueueFilter, "course")
    list_select_related = ("user", "course")
    search_fields = ("user__email", "user__legal_name", "card_number", "issuer")
    # The queue is worked oldest first.
    ordering = ("uploaded_at",)
    readonly_fields = ("preview", "decide", "decisions")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "user",
                    "course",
                    "issuer",
                    "card_number",
                    "issued_on",
                    "expires_on",
                    "uploaded_at",
                )
            },
        ),
        ("Uploaded file", {"fields": ("preview", "content_type", "file")}),
        (
            "Review",
            {
                "fields": (
                    "status",
                    "decide",
                    "reviewed_at",
                    "reviewed_by",
                    "review_note",
                    "decision_emailed_at",
                    "decisions",
                )
            },
        ),
    )
    actions = ["approve_cards", "reject_cards"]

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path(
                "<int:pk>/review/<str:decision>/",
                decide,
                name="certificates_externalcertificate_decide",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="File")
    def file_link(self, obj: ExternalCertificate) -> str:
        url = reverse("certificates:external_file", args=[obj.pk])
        kind = "PDF" if obj.content_type == "application/pdf" else "Image"
        return format_html('<a href="{}" target="_blank">{}</a>', url, kind)

    @admin.display(description="Preview")
    def preview(self, obj: ExternalCertificate) -> str:
        url = reverse("certificates:external_file", args=[obj.pk])
        if obj.is_image:
            return format_html(
                '<a href="{0}" target="_blank">'
                '<img src="{0}" alt="Uploaded card of {1}" width="480"></a>',
                url,
                obj.user,
            )
        return format_html(
            '<a href="{}" target="_blank">Open the uploaded PDF</a>', url
        )

    @admin.display(description="Decide")
    def decide(self, obj: ExternalCertificate) -> str:
        decisions = [
            ("approve", "Approve…", ExternalCertificate.Status.APPROVED),
            ("reject", "Reject…", ExternalCertificate.Status.REJECTED),
        ]
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            (
                (self._decide_url(obj, decision), label)
                for decision, label, outcome in decisions
                if obj.status != outcome
            ),
        )

    @admin.display(description="Every decision")
    def decisions(self, obj: ExternalCertificate) -> str:
        """The card's decision history (the fields above hold the current one)."""
        history = selectors.external_certificate_decisions(card=obj)
        if not history:
            return "-"
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{} · {} by {}{}</li>",
                (
                    (
                        f"{timezone.localtime(event.created_at):%Y-%m-%d %H:%M}",
                        event.get_action_display(),
                        event.actor_label,
                        f": {event.data['note']}" if event.data.get("note") else "",
                    )
                    for event in history
                ),
            ),
        )

    @staticmethod
    def _decide_url(obj: ExternalCertificate, decision: str) -> str:
        return reverse(
            "admin:certificates_externalcertificate_decide", args=[obj.pk, decision]
        )

    def _review(
        self,
        request: HttpRequest,
        queryset: QuerySet[ExternalCertificate],
        *,
        approve: bool,
        action_name: str = "",
    ) -> HttpResponse | None:
        """The intermediate page of a decision; applies it once the form is valid.

        Returns None after applying (the caller redirects), or the page to render.
        """
        form = ReviewForm(
            request.POST if "apply" in request.POST else None, approve=approve
        )
        if form.is_valid():
            changed = 0
            verb = "Approved" if approve else "Rejected"
            note = form.cleaned_data["note"]
            for card in queryset:
                try:
                    decided = external_certificate_review(
                        card=card, by=request.user, approve=approve, note=note
                    )
                except LifelineError as error:
                    self.message_user(
                        request, f"{card}: {error.message}", messages.ERROR
                    )
                    continue
                if decided:
                    changed += 1
                    self.log_change(request, card, f"{verb}. {note}".strip())
            self.message_user(
                request,
                f"{verb} {changed} card(s); the learners are e-mailed the decision.",
                messages.SUCCESS if changed else messages.WARNING,
            )
            return None
        context = _intermediate_context(
            self,
            request,
            title="Approve outside cards" if approve else "Reject outside cards",
            form=form,
            cards=queryset.select_related("user", "course"),
            approve=approve,
            action_name=action_name,
        )
        return TemplateResponse(
            request, "certificates/admin_externalcertificate_review.html", context
        )

    @admin.action(description="Approve selected cards…", permissions=["change"])
    def approve_cards(self, request, queryset):
        return self._review(
            request, queryset, approve=True, action_name="approve_cards"
        )

    @admin.action(description="Reject selected cards…", permissions=["change"])
    def reject_cards(self, request, queryset):
        return self._review(
            request, queryset, approve=False, action_name="reject_cards"
        )

    def decide_view(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        """Approve or reject one card from its change page."""
        if decision not in ("approve", "reject"):
            raise Http404("No such decision.")
        if not self.has_change_permission(request):
            raise PermissionDenied
        card = get_object_or_404(ExternalCertificate, pk=pk)
        queryset = ExternalCertificate.objects.filter(pk=card.pk)
        response = self._review(request, queryset, approve=decision == "approve")
        if response is None:
            return HttpResponseRedirect(
                reverse("admin:certificates_externalcertificate_changelist")
            )
        return response
