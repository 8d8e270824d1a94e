"""URLs reversed once per process.

`django.urls.reverse` costs a fraction of a millisecond, and a learner page builds
dozens that depend only on their arguments (each lesson, each exam of the course's
plan: issue 19). `reverse_cached` keeps them, keyed by the URL name, the arguments
and the script prefix. For the site's own patterns only, with arguments that are
plain values (ids, slugs).
"""

from __future__ import annotations

import functools

from django.core.signals import setting_changed
from django.urls import get_script_prefix, reverse


@functools.lru_cache(maxsize=16_384)
def _reverse(name: str, args: tuple, prefix: str) -> str:
    return reverse(name, args=args)


def reverse_cached(name: str, *args: str | int) -> str:
    """`reverse(name, args=args)`, computed once per process."""
    return _reverse(name, args, get_script_prefix())


def _urls_changed(setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":  # tests that mount other URLs
        _reverse.cache_clear()


setting_changed.connect(_urls_changed, dispatch_uid="core.urls.forget")
