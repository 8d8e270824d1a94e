"""The session engine: sessions stored in the database, read through the shared cache.

Every signed-in request loads its session; with the database engine that is one query
per page (issue 19). Django's `cached_db` engine reads it from the cache instead and
keeps the database as the record. Three changes here:

- **A cache that fails costs time once, never the request.** Django's engine lets a
  cache error through when it writes the entry back after a database read and when
  it deletes an entry (log-out). Here a failing cache call is logged and the
  database answers; the process then leaves the cache alone for `PAUSE` seconds, so
  a hung Redis costs one timeout per process and half a minute, not one per request
  (the content version and the rate limits have their own fallbacks).
- **A cached copy lives at most `CACHE_TTL` seconds** after it was read from the
  database or saved, not the session's two weeks. Should deleting or replacing the
  copy fail (a log-out or a save while Redis refuses writes), the database row is
  right but the cache might still hold the old copy; a failed write is followed by a
  delete, and the short lifetime bounds what is left to minutes. The account's checks
  stay per request whatever the cache holds: the user row is read on every request
  and the session's hash must match it (accounts.User.session_generation ends every
  session of an account at once).
- The async methods go through the same code (`sync_to_async`).

Whoever can write to the cache can write sessions (as with Django's own engine):
Redis must require authentication (docs/OPERATIONS.md).

settings.SESSION_ENGINE = "core.sessions".
"""

from __future__ import annotations

import logging
import time

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import cached_db, db

logger = logging.getLogger(__name__)

CACHE_TTL = 300  # seconds a copy stays in the cache after a database read or a save
PAUSE = 30.0  # seconds the cache is left alone after a failure (per process)

_FAILED = object()  # the call raised
_PAUSED = object()  # not tried: a call failed less than PAUSE seconds ago
_paused_until = 0.0


def _cache_call(what: str, call, *args):
    """`call(*args)`; _FAILED when it raises (and the cache is paused), _PAUSED
    while the cache is paused after a failure."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return _PAUSED
    try:
        return call(*args)
    except Exception:
        _paused_until = time.monotonic() + PAUSE
        logger.warning(
            "Session cache %s failed; the database answers for %d s.",
            what,
            PAUSE,
            exc_info=True,
        )
        return _FAILED


class SessionStore(cached_db.SessionStore):
    def _cache_ttl(self, expiry_age: int) -> int:
        return max(0, min(CACHE_TTL, expiry_age))

    def load(self):
        data = _cache_call("read", self._cache.get, self.cache_key)
        if data is not None and data is not _FAILED and data is not _PAUSED:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        decoded = self.decode(stored.session_data)
        if data is None:  # a miss, not a failure: keep a copy
            _cache_call(
                "write",
                self._cache.set,
                self.cache_key,
                decoded,
                self._cache_ttl(self.get_expiry_age(expiry=stored.expire_date)),
            )
        return decoded

    def exists(self, session_key):
        if session_key:
            found = _cache_call(
                "read", self._cache.has_key, self.cache_key_prefix + session_key
            )
            if found is True:
                return True
        return db.SessionStore.exists(self, session_key)

    def save(self, must_create=False):
        db.SessionStore.save(self, must_create)
        written = _cache_call(
            "write",
            self._cache.set,
            self.cache_key,
            self._session,
            self._cache_ttl(self.get_expiry_age()),
        )
        if written is _FAILED:
            # An older copy must not outlive the database's: try to drop it (a
            # cache refusing writes may still delete). While paused, nothing is
            # tried: the copy expires within CACHE_TTL.
            try:
                self._cache.delete(self.cache_key)
            except Exception:
                logger.warning("Session cache delete failed.", exc_info=True)

    def delete(self, session_key=None):
        db.SessionStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        _cache_call("delete", self._cache.delete, self.cache_key_prefix + session_key)

    async def aload(self):
        return await sync_to_async(self.load)()

    async def aexists(self, session_key):
        return await sync_to_async(self.exists)(session_key)

    async def asave(self, must_create=False):
        return await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key=None):
        return await sync_to_async(self.delete)(session_key)
