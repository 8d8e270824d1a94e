"""Events the accounts app publishes (core.events); higher apps subscribe to them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LegalNameSet:
    """A learner gave a legal name for the first time: certificates that waited for
    one can now be issued."""

    user_id: int
