"""A fixed-window request counter in the shared cache, with a per-process fallback.

The cache is Redis in production (settings.CACHES), so every web process and host
counts against the same limit. Callers say what is counted (`scope`) and for whom
(`key`: a hashed client IP, a user id); `certificates.ratelimit` limits verification
per client IP, `exams.services.pacing` exam starts and submits per user.

When the shared cache fails (Redis down or hung), the limit is counted in this
process's memory instead, with a logged warning: requests keep working and stay
limited (per process, so up to `limit` x processes in all) until Redis is back. After
a failure the shared cache is left alone for FALLBACK_SECONDS, so an outage does not
make every request wait for the Redis timeouts.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FALLBACK_SECONDS = 30
_local = LocMemCache("ratelimit-fallback", {"MAX_ENTRIES": 10_000})
_shared_down_until = 0.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets


def _count(counter: BaseCache, key: str, window: int) -> int:
    # add() creates the counter only if absent; incr() is atomic in Redis.
    counter.add(key, 0, timeout=window + 5)
    try:
        return counter.incr(key)
    except ValueError:  # expired between add() and incr()
        counter.add(key, 1, timeout=window + 5)
        return 1


def _count_anywhere(key: str, window: int) -> int:
    """Counts in the shared cache, or in this process while the shared one fails."""
    global _shared_down_until
    if time.monotonic() >= _shared_down_until:
        try:
            return _count(cache, key, window)
        except (RedisError, OSError) as error:
            _shared_down_until = time.monotonic() + FALLBACK_SECONDS
            logger.warning(
                "Rate limit cache unavailable (%s: %s); counting in this process "
                "for the next %d s.",
                error.__class__.__name__,
                error,
                FALLBACK_SECONDS,
            )
    return _count(_local, key, window)


def hit(*, scope: str, key: str, limit: int, window: int) -> Verdict:
    """Counts one request of `scope` by `key`; refuses beyond `limit` per `window`
    seconds (a fixed window, aligned on multiples of `window`)."""
    now = int(time.time())
    window_start = now - now % window
    count = _count_anywhere(f"ratelimit:{scope}:{key}:{window_start}", window)
    return Verdict(allowed=count <= limit, retry_after=window_start + window - now)
