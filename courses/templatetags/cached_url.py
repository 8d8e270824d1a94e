"""`{% cached_url %}`: `{% url %}` for links that never change while the process
runs (the header's and footer's), reversed once per process (core.urls; issue 19:
base.html has sixteen of them on every page)."""

from __future__ import annotations

from django import template

from core.urls import reverse_cached

register = template.Library()


@register.simple_tag
def cached_url(name: str, *args: str | int) -> str:
    """`{% cached_url 'courses:catalog' as catalog_url %}`, like `{% url %}`."""
    return reverse_cached(name, *args)
