"""The next moment the clock alone changes what is being drawn.

A page kept for a learner (accounts.learner_pages) is keyed by everything it is
drawn from, but some of what it shows changes with time and no write: a retake's
cool-down ends, an attempt's time runs out (and the next visit grades it), a
certificate's renewal window opens at midnight. The code that compares such a moment
with the clock says so here (`note`), and the page is kept no later than the
earliest moment noted while it was drawn (`watching`).

Outside `watching`, `note` does nothing: it costs a context-variable read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone


@dataclass
class Horizon:
    """The earliest moment noted so far (None: none) after `started`, when the
    drawing began. A moment noted between `started` and the end of the drawing may
    or may not be reflected in what was drawn: then `until` is already past, and
    nothing should be kept."""

    started: datetime
    until: datetime | None = None


_current: ContextVar[Horizon | None] = ContextVar("horizon", default=None)


def note(moment: datetime | None) -> None:
    """What is being drawn changes at `moment` (the caller need not check whether it
    is still to come: one already past when the drawing began is dropped)."""
    horizon = _current.get()
    if horizon is None or moment is None or moment <= horizon.started:
        return
    if horizon.until is None or moment < horizon.until:
        horizon.until = moment


@contextmanager
def watching() -> Iterator[Horizon]:
    """Collects the moments noted inside the block (nested blocks each see the
    moments noted in them, and pass them on outwards)."""
    outer = _current.get()
    horizon = Horizon(started=timezone.now())
    token = _current.set(horizon)
    try:
        yield horizon
    finally:
        _current.reset(token)
        if outer is not None:
            note(horizon.until)
