"""Domain events: how a lower app triggers work that belongs to a higher one.

Apps depend one way (docs/ARCHITECTURE.md). When a rule in a lower app must start work
owned by a higher app (a completed enrollment must get a certificate; a learner's new
legal name must release the certificates waiting for it), the lower app publishes an
event, a frozen dataclass it defines, and the higher app subscribes a handler in its
`AppConfig.ready()`. The lower app never imports the higher one.

Handlers run after the surrounding transaction commits (immediately when there is
none), so they never see, or act on, a change that is rolled back. A failing handler
is logged and does not stop the others; every such handler has a sweeper or a retry
behind it (e.g. the certificate sweeper), because after commit nothing can undo the
publisher's change.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[[Any], None]

_handlers: dict[type, list[Handler]] = defaultdict(list)


def subscribe[E](event_type: type[E], handler: Callable[[E], None]) -> None:
    """Registers `handler` for `event_type`. Registering the same handler twice is a
    no-op, so `ready()` may run more than once (as it does in some test set-ups)."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def subscribers(event_type: type) -> list[Handler]:
    return list(_handlers.get(event_type, ()))


def publish(event: object) -> None:
    """Runs every handler of `type(event)` after the current transaction commits."""
    transaction.on_commit(partial(_dispatch, event))


def _dispatch(event: object) -> None:
    for handler in subscribers(type(event)):
        try:
            handler(event)
        except Exception:
            logger.exception(
                "Handler %s failed for %r",
                getattr(handler, "__qualname__", handler),
                event,
            )
