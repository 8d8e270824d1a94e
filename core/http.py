"""HTTP helpers every layer may use (views of any app, the project middleware)."""

from __future__ import annotations

# The attribute a view's body limit is stored in; config.middleware reads it.
MAX_REQUEST_BODY_ATTRIBUTE = "max_request_body"


def body_limit(max_bytes: int):
    """Marks a view as accepting request bodies up to `max_bytes` from a signed-in
    user (e.g. an upload form). Read by config.middleware.RequestBodyLimitMiddleware."""

    def decorate(view):
        setattr(view, MAX_REQUEST_BODY_ATTRIBUTE, max_bytes)
        return view

    return decorate
