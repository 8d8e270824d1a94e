"""A fixed-window request limit per client IP, counted in the shared cache.

The cache is Redis in production (settings.CACHES), so every web process and host
counts against the same limit. The client IP comes from allauth's adapter, so one
setting (TRUSTED_PROXY_COUNT) makes it right behind proxies for every limit we have.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets


def hit(request: HttpRequest, *, scope: str, limit: int, window: int) -> Verdict:
    """Counts one request of `scope` from the client; refuses beyond `limit` per
    `window` seconds."""
    ip = get_adapter().get_client_ip(request)
    now = int(time.time())
    window_start = now - now % window
    client = hashlib.sha256(ip.encode()).hexdigest()[:32]  # no raw IPs in the cache
    key = f"ratelimit:{scope}:{client}:{window_start}"
    # add() creates the counter only if absent; incr() is atomic in Redis.
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window + 5)
        count = 1
    return Verdict(allowed=count <= limit, retry_after=window_start + window - now)
