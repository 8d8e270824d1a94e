"""GET /api/v1/certificates/{code}: what an employer's system asks of a code.

The same answer as the public verify page (`certificates:verify_code`), from the same
selectors: `certificate_for_verification` finds the row, `certificate_facts` states
it (status, scope and all), so whatever the page learns to say, this says too.
Public and rate-limited per client address in the shared cache, like the page, under
a scope of its own (CERTIFICATE_API_RATE_LIMIT lookups per
CERTIFICATE_VERIFY_RATE_WINDOW seconds). One query per lookup.
"""

from __future__ import annotations

from typing import Annotated

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from ninja import Path, Router

from certificates import ratelimit, selectors
from certificates.codes import normalize_code

from .errors import CertificateNotFound, LookupsRateLimited
from .problems import Problem
from .schemas import EXAMPLE_CODE, Certificate

router = Router(tags=["certificates"])

RATE_LIMIT_SCOPE = "api.certificates"

CODE_DESCRIPTION = (
    "The code printed on the certificate or wallet card. Typed forms are accepted "
    "as on the verify page: any letter case, spaces or dashes between the groups, "
    "or none at all (bls7kq4m2xd9tra)."
)


def _count_lookup(request: HttpRequest) -> None:
    """Counts the lookup against the client's allowance; refuses beyond it."""
    verdict = ratelimit.hit(
        request,
        scope=RATE_LIMIT_SCOPE,
        limit=settings.CERTIFICATE_API_RATE_LIMIT,
        window=settings.CERTIFICATE_VERIFY_RATE_WINDOW,
    )
    if not verdict.allowed:
        raise LookupsRateLimited(
            "Too many certificate lookups from your address. Try again in "
            f"{verdict.retry_after} seconds.",
            retry_after=verdict.retry_after,
        )


@router.get(
    "/certificates/{code}",
    response={200: Certificate, 404: Problem, 429: Problem},
    operation_id="certificate_verify",
    summary="Verify a certificate by its code",
    description=(
        "Whether the certificate with this code is genuine and current, and what it "
        "states: the holder's name as printed, the course, dates, CE hours and "
        "scope. No key is needed. Unknown and malformed codes are 404. Lookups are "
        "limited per client address; beyond the limit the answer is 429 with "
        "Retry-After."
    ),
    openapi_extra={
        "responses": {
            200: {"description": "The certificate, whatever its status"},
            404: {"description": "No certificate has this code"},
            429: {"description": "Too many lookups from this address; wait"},
        }
    },
)
def certificate_verify(
    request: HttpRequest,
    response: HttpResponse,
    code: Annotated[str, Path(description=CODE_DESCRIPTION, example=EXAMPLE_CODE)],
) -> Certificate:
    _count_lookup(request)
    canonical = normalize_code(code)
    certificate = (
        selectors.certificate_for_verification(code=canonical) if canonical else None
    )
    if certificate is None:
        raise CertificateNotFound(
            "No Lifeline certificate has this code. Check it against the "
            "certificate or wallet card; it looks like BLS-7KQ4-M2XD-9TRA."
        )
    # Revocation takes effect at once: nothing between us and the caller may keep it.
    add_never_cache_headers(response)
    # Holder names are for the person checking, not for search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return Certificate.from_facts(selectors.certificate_facts(certificate))
