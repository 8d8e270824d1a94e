"""Marks each request with the interface it came through, for the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .context import interface


def interface_middleware(get_response: Callable[[HttpRequest], HttpResponse]):
    def middleware(request: HttpRequest) -> HttpResponse:
        admin_prefix = reverse("admin:index")
        if request.path.startswith(admin_prefix):
            name = "admin"
        elif request.path.startswith("/api/"):
            name = "api"
        else:
            name = "web"
        with interface(name):
            return get_response(request)

    return middleware
