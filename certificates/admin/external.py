"""Outside cards in the admin: the review queue, decided through the service, with
each card's decision history."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.dates import format_moment
from core.errors import LifelineError

from .. import selectors
from ..forms import ReviewForm
from ..models import ExternalCertificate
from ..services.external import external_certificate_review
from .common import ReadOnlyEvidenceAdmin, intermediate_context


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
        "learner_legal_name",
        "course",
        "issuer",
        "card_number",
        "issued_on",
        "expires_on",
        "status",
        "file_link",
    )
    list_filter = (ReviewQueueFilter, "course", "decision_email_failed_at")
    list_select_related = ("user", "course")
    search_fields = ("user__email", "user__legal_name", "card_number", "issuer")
    # The queue is worked oldest first.
    ordering = ("uploaded_at",)
    readonly_fields = (
        "preview",
        "decide",
        "decisions",
        "learner_legal_name",
        "learner_profession",
        "file_link",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "user",
                    "learner_legal_name",
                    "learner_profession",
                    "course",
                    "issuer",
                    "card_number",
                    "issued_on",
                    "expires_on",
                    "uploaded_at",
                )
            },
        ),
        # The stored file's own URL is not served (uploads are private): the link
        # goes through the staff-only view.
        ("Uploaded file", {"fields": ("preview", "content_type", "file_link")}),
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
                    "decision_email_failed_at",
                    "decision_email_failure",
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
        kind = "PDF" if obj.content_type == "application/pdf" else "image"
        return format_html(
            '<a href="{}" target="_blank">Open the {} (new tab)</a>', url, kind
        )

    @admin.display(description="Legal name")
    def learner_legal_name(self, obj: ExternalCertificate) -> str:
        return obj.user.legal_name or "(not given yet)"

    @admin.display(description="Profession")
    def learner_profession(self, obj: ExternalCertificate) -> str:
        return obj.user.get_profession_display() or "(not given)"

    @admin.display(description="Preview")
    def preview(self, obj: ExternalCertificate) -> str:
        """The card as large as the page allows; the link opens it full size in a
        new tab, where the browser zooms."""
        url = reverse("certificates:external_file", args=[obj.pk])
        if obj.is_image:
            return format_html(
                '<a class="card-preview" href="{0}" target="_blank">'
                '<img src="{0}" alt="Uploaded card of {1}"></a>'
                '<p><a href="{0}" target="_blank">Open the card full size '
                "(new tab)</a></p>",
                url,
                obj.user.legal_name or obj.user,
            )
        return format_html(
            '<a href="{}" target="_blank">Open the uploaded PDF (new tab)</a>', url
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
                        format_moment(event.created_at),
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
        context = intermediate_context(
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
