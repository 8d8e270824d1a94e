"""Version 1 of the API: the NinjaAPI instance, its error handlers and its schema.

The schema is generated from the operations (OpenAPI 3.1) and served at
/api/v1/schema; /api/v1/docs renders it as a page of the site (`api.docs`: no script,
no outside CDN, under the site's CSP). Errors are RFC 9457 problems: a service's
refusal (`LifelineError`) through `as_problem()`, ninja's own errors from their status.
The schema says so: every error response of every operation is declared as
`application/problem+json`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from core.errors import LifelineError

from . import problems
from .certificates import router as certificates_router
from .docs import ReferencePage
from .organizations import router as organizations_router

DESCRIPTION = """\
Lifeline's public API for checking certificates from your own systems: employers,
credentialing offices and training centres verify a code and get what the
certificate states and whether it is valid today.

Verifying a code needs no key; lookups are limited per client address. An
organization's own systems also read its members' certificate status
(/organizations/{slug}/...) with an API token its administrators create on
Lifeline (Authorization: Bearer lifeline_org_...); those requests are limited per
token. A 429 answer says when to try again, in Retry-After. Every error is an
RFC 9457 problem details object (application/problem+json) with a stable code.
"""


class LifelineAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any):
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                _declare_problems(operation["responses"])
        return schema


def _declare_problems(responses: dict) -> None:
    """Error responses are problem details: their media type, and `Retry-After` on
    a 429 (ninja declares every response as application/json)."""
    for status, response in responses.items():
        if int(status) < 400:
            continue
        content = response.get("content", {})
        if "application/json" in content:
            content[problems.CONTENT_TYPE] = content.pop("application/json")
        if int(status) == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": "The scheme to authenticate with (Bearer).",
                    "schema": {"type": "string"},
                }
            }
        if int(status) == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds until the client may try again.",
                    "schema": {"type": "integer", "minimum": 0},
                }
            }


api = LifelineAPI(
    title=f"{settings.SITE_NAME} API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    openapi_url="/schema",
    docs=ReferencePage(),
    docs_url="/docs",
    # The schema and its page are read, never written: other methods are 405.
    docs_decorator=require_safe,
)
api.add_router("/", certificates_router)
api.add_router("/", organizations_router)


@api.exception_handler(LifelineError)
def _refused(request: HttpRequest, error: LifelineError) -> HttpResponse:
    return problems.error_response(request, error)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return problems.response_for(problems.status_problem(request, 404))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    problem = problems.status_problem(request, error.status_code, detail=str(error))
    return problems.response_for(problem)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    problem = problems.status_problem(
        request, 422, detail="Some parameters or the body are not valid; see errors."
    )
    problem["errors"] = [
        {"loc": list(item.get("loc", ())), "msg": str(item.get("msg", ""))}
        for item in error.errors
    ]
    return problems.response_for(problem)
