"""Every error under /api/ is a problem body, whoever produced it.

The API's own refusals are problems already (`api.v1` renders them). What else can
answer an /api/ request with an error: Django's URL resolver (no such route, 404),
django-ninja's method dispatch (405, with `Allow`), the request-body limit of
`config.middleware` (411, 413, 400), a disallowed host (400) and the server-error
handler (500, after Django has logged the exception). This middleware sits above all
of them and replaces any such response by a problem with the same status, keeping the
headers a client acts on (`Allow`, `Retry-After`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import problems

API_PREFIX = "/api/"
_KEPT_HEADERS = ("Allow", "Retry-After")


def problem_details(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or problems.is_problem(response)
        ):
            return response
        problem = problems.status_problem(request, response.status_code)
        headers = {name: response[name] for name in _KEPT_HEADERS if name in response}
        return problems.response_for(problem, headers=headers)

    return middleware
