"""The shared cache backend: Django's Redis cache, with one client per connection pool.

Django's `RedisCacheClient.get_client()` wraps its connection pool in a new
`redis.Redis` on every cache call. That object holds no connection of its own (the
pool lends one per command) and does not close a pool it was given, yet building it
costs about 60 µs of CPU: more than the round trip of a cache read on the loopback.
A learner page reads the cache a few times (the content version, the session), so
the client is kept, one per pool (issue 19: about a tenth of a millisecond per call,
measured in docs/BENCHMARKS.md). Django keeps a cache backend per thread, so each
thread has its own clients.
Everything else (pools, options, serialization, timeouts) is Django's.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import (
    RedisCacheClient as DjangoRedisCacheClient,
)


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}  # id(pool) -> redis.Redis

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            # Pools are kept for the life of the backend: their ids stay theirs.
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """settings.CACHES["default"]["BACKEND"] = "core.cache.RedisCache"."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
