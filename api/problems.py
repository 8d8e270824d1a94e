"""RFC 9457 problem details: every error the API answers has this body.

Refusals of our services (`core.errors.LifelineError`) become problems through their
own `as_problem()`; anything else that fails under /api/ (no such route, a method the
route does not take, a refused body, a server error) is turned into one by
`api.middleware.problem_details` from its HTTP status.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from ninja import Schema
from pydantic import ConfigDict, Field

from core.errors import LifelineError, RateLimited, Unauthenticated

CONTENT_TYPE = "application/problem+json"

# What a client is told for a status no service of ours decided (the route's own
# refusals carry their own sentence).
_GENERIC_DETAIL = {
    400: "The request could not be understood.",
    404: "There is nothing at this address. See /api/v1/docs for the operations.",
    405: "This address does not take that method; the Allow header lists those it "
    "takes.",
    411: "A request with a body must say its length (Content-Length).",
    413: "The request body is too large.",
    500: "Something went wrong on our side. Please try again later.",
}


class Problem(Schema):
    """An RFC 9457 problem details object, with our stable `code`."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description='A URI naming the kind of problem ("about:blank" when the '
        "HTTP status says it all).",
        examples=["urn:lifeline:problem:certificate.not_found"],
    )
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.", examples=[404])
    detail: str = Field(
        description="What went wrong in this request, for a person to read."
    )
    code: str = Field(
        description="A stable machine name for the problem, e.g. "
        "certificate.not_found or http.method_not_allowed.",
        examples=["certificate.not_found"],
    )
    instance: str | None = Field(
        default=None, description="The path of the request that failed."
    )


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def response_for(
    problem: dict[str, Any], *, headers: dict[str, str] | None = None
) -> HttpResponse:
    """The problem as a response: its status, our content type, never cached (an
    unknown code may be issued tomorrow; a 429 is over in a minute)."""
    response = HttpResponse(
        json.dumps(problem), status=problem["status"], content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    add_never_cache_headers(response)
    return response


def error_response(request: HttpRequest, error: LifelineError) -> HttpResponse:
    """A service's refusal as a problem; its JSON-safe details become extension
    members (e.g. `retry_after`), a rate limit also says `Retry-After`, and a
    refused credential `WWW-Authenticate`."""
    problem = error.as_problem(instance=request.path)
    for name, value in error.details.items():
        if name not in problem and _json_safe(value):
            problem[name] = value
    headers = {}
    if isinstance(error, RateLimited) and "retry_after" in error.details:
        headers["Retry-After"] = str(error.details["retry_after"])
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = error.challenge
    return response_for(problem, headers=headers)


def status_problem(
    request: HttpRequest, status: int, *, detail: str | None = None
) -> dict[str, Any]:
    """A problem for an HTTP status alone ("about:blank", titled by the status)."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus else "Error"
    return {
        "type": "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail or _GENERIC_DETAIL.get(status, f"{phrase}."),
        "code": "http." + phrase.lower().replace(" ", "_").replace("-", "_"),
        "instance": request.path,
    }


def is_problem(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == CONTENT_TYPE
