"""A fixed-window request limit per client IP, counted in the shared cache
(core.ratelimit, which falls back to this process's memory while Redis fails).

The client IP comes from allauth's adapter, so one setting (TRUSTED_PROXY_COUNT)
makes it right behind proxies for every limit we have.
"""

from __future__ import annotations

import hashlib

from allauth.account.adapter import get_adapter
from django.http import HttpRequest

from core import ratelimit
from core.ratelimit import Verdict

__all__ = ["Verdict", "hit"]


def hit(request: HttpRequest, *, scope: str, limit: int, window: int) -> Verdict:
    """Counts one request of `scope` from the client; refuses beyond `limit` per
    `window` seconds."""
    ip = get_adapter().get_client_ip(request)
    client = hashlib.sha256(ip.encode()).hexdigest()[:32]  # no raw IPs in the cache
    return ratelimit.hit(scope=scope, key=client, limit=limit, window=window)
