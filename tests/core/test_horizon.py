"""core.horizon: the earliest moment the clock alone changes what is being drawn."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from core import horizon


def test_the_earliest_moment_to_come_is_kept_and_past_ones_dropped():
    now = timezone.now()
    with time_machine.travel(now, tick=False), horizon.watching() as seen:
        horizon.note(now + timedelta(hours=2))
        horizon.note(now - timedelta(minutes=1))  # already past: drawn as such
        horizon.note(now + timedelta(hours=1))
        horizon.note(None)
    assert seen.until == now + timedelta(hours=1)


def test_a_moment_passing_while_the_page_is_drawn_is_not_dropped():
    """Read before the moment, noted after it: what was drawn may be either side of
    it, so the horizon is already past and the page is not kept."""
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock, horizon.watching() as seen:
        moment = start + timedelta(seconds=1)
        clock.shift(timedelta(seconds=2))
        horizon.note(moment)
    assert seen.until == moment


def test_nested_drawings_pass_their_moments_outwards():
    now = timezone.now()
    with time_machine.travel(now, tick=False), horizon.watching() as outer:
        with horizon.watching() as inner:
            horizon.note(now + timedelta(minutes=3))
        horizon.note(now + timedelta(minutes=9))
    assert inner.until == now + timedelta(minutes=3)
    assert outer.until == now + timedelta(minutes=3)
