"""The session engine: sessions stored in the database, read through the shared cache.

Every signed-in request loads its session; with the database engine that is one query
per page (issue 19). Django's `cached_db` engine reads it from the cache instead and
keeps the database as the record. Two changes here:

- **A cache that fails costs time, never the request.** Django's engine lets a cache
  error through when it writes the entry back after a database read, and when it
  deletes an entry (log-out). Here every cache call that fails is logged and the
  database answers, so a Redis outage degrades sessions to the database engine (the
  Redis timeouts in settings bound the wait).
- **A cached entry lives at most `CACHE_TTL` seconds**, not the session's two weeks.
  If deleting an entry fails while Redis is unreachable (a log-out, a key cycled at
  sign-in), the database row is gone but the cache might still hold it when Redis
  comes back; the short lifetime bounds that window to minutes. The account's
  checks stay per request whatever the cache holds: the user row is read on every
  request and the session's hash must match it (accounts.User.session_generation
  ends every session of an account at once).

settings.SESSION_ENGINE = "core.sessions".
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger(__name__)

CACHE_TTL = 300  # seconds a session stays in the cache after it was read or saved


class SessionStore(cached_db.SessionStore):
    def _cache_ttl(self, expiry_age: int) -> int:
        return max(0, min(CACHE_TTL, expiry_age))

    def _cache_call(self, what: str, call, *args):
        try:
            return call(*args)
        except Exception:
            logger.warning("Session cache %s failed; the database answers.", what)
            return None

    def load(self):
        data = self._cache_call("read", self._cache.get, self.cache_key)
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_call(
            "write",
            self._cache.set,
            self.cache_key,
            data,
            self._cache_ttl(self.get_expiry_age(expiry=stored.expire_date)),
        )
        return data

    def exists(self, session_key):
        if session_key and self._cache_call(
            "read", self._cache.has_key, self.cache_key_prefix + session_key
        ):
            return True
        return super(cached_db.SessionStore, self).exists(session_key)

    def save(self, must_create=False):
        super(cached_db.SessionStore, self).save(must_create)
        self._cache_call(
            "write",
            self._cache.set,
            self.cache_key,
            self._session,
            self._cache_ttl(self.get_expiry_age()),
        )

    def delete(self, session_key=None):
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache_call(
            "delete", self._cache.delete, self.cache_key_prefix + session_key
        )
