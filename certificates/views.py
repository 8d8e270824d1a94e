from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import staff_verified
from core.dates import site_today
from core.errors import LifelineError
from core.http import body_limit

from . import openbadges, ratelimit, selectors
from .codes import normalize_code
from .forms import ExternalCertificateForm, VerifyForm
from .services.credentials import certificate_credential_issue
from .services.external import external_certificate_submit
from .services.issuing import certificate_pdf_ensure
from .signing import SigningKeyMissing

logger = logging.getLogger(__name__)


@never_cache
@login_required
@require_GET
def certificate_pdf(request: HttpRequest, code: str) -> FileResponse:
    """The certificate PDF, as an attachment, for its holder and staff; 404 for anyone
    else. A PDF missing from storage is rendered again first."""
    certificate = selectors.certificate_for_download(
        code=code, user=request.user, as_staff=staff_verified(request)
    )
    if certificate is None:
        raise Http404("No such certificate.")
    certificate = certificate_pdf_ensure(certificate=certificate)
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=certificate.pdf_filename,
        content_type="application/pdf",
    )


def _rate_limited(request: HttpRequest) -> HttpResponse | None:
    verdict = ratelimit.hit(
        request,
        scope="verify",
        limit=settings.CERTIFICATE_VERIFY_RATE_LIMIT,
        window=settings.CERTIFICATE_VERIFY_RATE_WINDOW,
    )
    if verdict.allowed:
        return None
    response = render(
        request,
        "certificates/certificate_verify_limited.html",
        {"retry_after": verdict.retry_after},
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _public(response: HttpResponse) -> HttpResponse:
    # Holder names are for the person checking, not for search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """The verification form; a submitted code goes to its canonical result page."""
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("certificates:verify_code", code=form.cleaned_data["code"])
    return _public(
        render(request, "certificates/certificate_verify.html", {"form": form})
    )


@never_cache
@require_GET
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """Public result for one code: holder, course, dates and valid/expired/revoked.

    Rate-limited per client IP. A code typed in another form (lower case, spaces)
    redirects to the canonical address; an unknown code answers 404 with the form.
    """
    canonical = normalize_code(code)
    if canonical and canonical != code:
        return redirect("certificates:verify_code", code=canonical)
    if limited := _rate_limited(request):
        return _public(limited)
    certificate = (
        selectors.certificate_for_verification(code=canonical) if canonical else None
    )
    if certificate is None:
        form = VerifyForm(initial={"code": code})
        response = render(
            request,
            "certificates/certificate_verify_code.html",
            {"code": code, "form": form},
            status=404,
        )
        return _public(response)
    facts = selectors.certificate_facts(certificate)
    context = {
        "certificate": facts,
        "status": facts.status,
        "share": selectors.certificate_share_for(
            certificate=certificate, user=request.user
        ),
    }
    return _public(
        render(request, "certificates/certificate_verify_code.html", context)
    )


@never_cache
@login_required
@require_GET
def certificate_credential(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate's Open Badges 3.0 credential, signed (VC-JWT), as a .jwt file,
    for the same people as the PDF (certificate_download_allowed); 404 for anyone
    else. Open Badges 3.0 (section 5.3): a VC-JWT file holds the compact JWS, served
    as text/plain."""
    certificate = selectors.certificate_for_download(
        code=code, user=request.user, as_staff=staff_verified(request)
    )
    if certificate is None:
        raise Http404("No such certificate.")
    try:
        token = certificate_credential_issue(certificate=certificate)
    except SigningKeyMissing:
        # A server without its signing key (deploy checks E004/E005 refuse one in
        # production): the holder is told and the team alerted; nothing was issued.
        logger.exception("Open Badges credential for %s not signed", certificate.code)
        messages.error(
            request,
            "Your credential cannot be downloaded right now; we have been told. "
            "Your certificate is valid, and its PDF and this page work as usual.",
        )
        return redirect("certificates:verify_code", code=certificate.code)
    response = HttpResponse(token, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{settings.SITE_NAME}-{certificate.code}.jwt"
    )
    return response


# The issuer's public documents: read by verifiers' software, from anywhere (a
# browser-based wallet included, hence CORS), and cacheable.
PUBLIC_DOCUMENT_MAX_AGE = 3600


def _public_document(response: HttpResponse, *, max_age: int) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=max_age)
    return response


@require_GET
def issuer_profile(request: HttpRequest) -> HttpResponse:
    """Lifeline's Open Badges issuer Profile (its `id` is this URL)."""
    response = JsonResponse(
        openbadges.issuer_profile(), content_type="application/ld+json"
    )
    return _public_document(response, max_age=PUBLIC_DOCUMENT_MAX_AGE)


@require_GET
def public_keys(request: HttpRequest) -> HttpResponse:
    """The JWK Set of every key that signed Lifeline credentials (public halves)."""
    response = JsonResponse(
        selectors.published_keys(), content_type="application/jwk-set+json"
    )
    return _public_document(response, max_age=PUBLIC_DOCUMENT_MAX_AGE)


@require_GET
def public_key(request: HttpRequest, thumbprint: str) -> HttpResponse:
    """One public key: what a credential header's `kid` dereferences to."""
    jwk = selectors.published_key(thumbprint=thumbprint)
    if jwk is None:
        raise Http404("No such key.")
    response = JsonResponse(jwk, content_type="application/jwk+json")
    return _public_document(response, max_age=PUBLIC_DOCUMENT_MAX_AGE)


@require_GET
def status_list(request: HttpRequest, number: int) -> HttpResponse:
    """A revocation status list credential (W3C Bitstring Status List, VC-JWT), as
    last published; verifiers may keep it for its `ttl`."""
    token = selectors.status_list_token(number=number)
    if token is None:
        raise Http404("No such status list.")
    response = HttpResponse(token, content_type="application/vc+jwt")
    return _public_document(response, max_age=openbadges.STATUS_LIST_TTL_SECONDS)


@body_limit(settings.EXTERNAL_CARD_MAX_BYTES + settings.EXTERNAL_CARD_REQUEST_OVERHEAD)
@login_required
@require_http_methods(["GET", "POST"])
def external_upload(request: HttpRequest) -> HttpResponse:
    """Upload an outside card for staff review; lists the learner's cards."""
    form = ExternalCertificateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            card = external_certificate_submit(
                user=request.user,
                course=data["course"],
                issuer=data["issuer"],
                card_number=data["card_number"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
                file=data["file"],
                content_type=form.content_type,
            )
        except LifelineError as error:
            fields = error.details.get("fields") or {NON_FIELD_ERRORS: error.message}
            for name, message in fields.items():
                form.add_error(None if name == NON_FIELD_ERRORS else name, message)
        else:
            messages.success(
                request,
                f"Your {card.course.title} card is uploaded. Staff review it, usually "
                "within two working days, and we e-mail you the decision.",
            )
            return redirect("certificates:external_upload")
    if request.method == "POST":
        form.file_not_kept()
    context = {
        "form": form,
        # One card at a time: while one waits, no form (the service refuses too).
        "pending": selectors.external_card_pending_exists(user=request.user),
        "cards": selectors.external_certificates_for(user=request.user),
        "accepts_cards": form.fields["course"].queryset.exists(),
        "today": site_today(),
    }
    return render(request, "certificates/externalcertificate_upload.html", context)


@never_cache
@login_required
@require_GET
def external_file(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded card file, inline, for staff reviewing it; 404 for anyone else."""
    card = selectors.external_certificate_for_preview(
        pk=pk, user=request.user, as_staff=staff_verified(request)
    )
    if card is None:
        raise Http404("No such card.")
    response = FileResponse(
        card.file.open("rb"),
        content_type=card.content_type,
        filename=f"outside-card-{card.pk}.{card.file_extension}",
    )
    # Whatever is inside the upload runs nothing: no scripts, no sub-resources.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'"
    )
    return response
