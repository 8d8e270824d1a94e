"""System checks of accounts (run by `manage.py check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

# Backends whose counts live inside one process: every gunicorn worker would keep its
# own log-in, sign-up and verify rate limits.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "local memory",
    "django.core.cache.backends.dummy.DummyCache": "a dummy cache (no memory at all)",
}
FILE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"


@checks.register(checks.Tags.caches, checks.Tags.security, deploy=True)
def cache_is_shared(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off, the default cache must be shared by every web process.

    It counts allauth's log-in/sign-up/reset limits and the certificate verify limit.
    """
    if settings.DEBUG:
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES:
        return [
            checks.Error(
                f"The default cache is {PER_PROCESS_CACHES[backend]}, kept per "
                "process: rate limits (log-in, sign-up, password reset, certificate "
                "verification) count separately in every web worker.",
                hint="Set REDIS_URL (redis://host:6379/0) so the cache is shared.",
                id="accounts.E001",
            )
        ]
    if backend == FILE_CACHE:
        return [
            checks.Warning(
                "The default cache is file-based: it is shared only by the processes "
                "of one host, so with several hosts each keeps its own rate limits.",
                hint="Set REDIS_URL (redis://host:6379/0) so the cache is shared.",
                id="accounts.W001",
            )
        ]
    return []
