"""Project middleware: response headers on everything, request bodies refused early.

- `permissions_policy`: adds `Permissions-Policy` to every response, static files
  included (it sits above WhiteNoise, which answers static files itself).
- `RequestBodyLimitMiddleware`: refuses an oversized request body by its declared
  `Content-Length` before anything reads it (413), and a body sent without one (411).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve

from core.http import MAX_REQUEST_BODY_ATTRIBUTE, body_limit

# `body_limit` lives in core.http (views of every app use it); re-exported here.
__all__ = ["RequestBodyLimitMiddleware", "body_limit", "permissions_policy"]

logger = logging.getLogger(__name__)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def permissions_policy(get_response: Callable[[HttpRequest], HttpResponse]):
    """Sets settings.PERMISSIONS_POLICY on every response that has none."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault(
                "Permissions-Policy", settings.PERMISSIONS_POLICY
            )
        return response

    return middleware


class RequestBodyLimitMiddleware:
    """Refuses a request body before it is read when it would be too large.

    The limit, by declared `Content-Length`:
    - anonymous visitors: settings.ANONYMOUS_REQUEST_MAX_BYTES everywhere (their
      forms, log-in and sign-up, are a few hundred bytes);
    - signed-in users: the view's `body_limit` (upload forms), else
      settings.DATA_UPLOAD_MAX_MEMORY_SIZE.
    Over it: 413 with a page saying the limit. A body without a Content-Length
    (`Transfer-Encoding: chunked`) is refused with 411: Django under WSGI reads no
    body without one, so such a request could only fail in a more confusing way.

    Must run before anything reads the body. Everything above it in MIDDLEWARE only
    looks at headers and the session; CSRF reads the body, but in process_view, which
    runs after every middleware's __call__.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._refusal(request) if request.method in BODY_METHODS else None
        return refused or self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self._refuse(request, status=411, limit=None)
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(request, status=400, limit=None)
        if length <= settings.ANONYMOUS_REQUEST_MAX_BYTES:
            return None  # small enough for anyone: no session or URL lookup needed
        if request.user.is_authenticated:
            limit = self._view_limit(request)
        else:
            limit = settings.ANONYMOUS_REQUEST_MAX_BYTES
        if length <= limit:
            return None
        logger.warning(
            "Refused a %d-byte %s to %s (limit %d, %s)",
            length,
            request.method,
            request.path,
            limit,
            "signed in" if request.user.is_authenticated else "anonymous",
        )
        return self._refuse(request, status=413, limit=limit)

    @staticmethod
    def _view_limit(request: HttpRequest) -> int:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return getattr(
            match.func, MAX_REQUEST_BODY_ATTRIBUTE, settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )

    @staticmethod
    def _refuse(request: HttpRequest, *, status: int, limit: int | None):
        return render(
            request,
            "request_too_large.html",
            {
                "status": status,
                "limit": filesizeformat(limit) if limit is not None else None,
                "signed_in": request.user.is_authenticated,
            },
            status=status,
        )
