"""The engine's Definition of each stored case version, built once per process.

A CaseVersion never changes once stored, so its Definition (the engine's wrapper
of the case, with the course's rule lessons of that moment) is built the first
time a process needs it and kept, bounded, least recently used dropped first. An
action then reads no definition from the database at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from .engine import Definition
from .models import CaseVersion

# Built definitions by version id: a definition never changes once stored, so
# each process builds it once (bounded, least recently used dropped first).
_DEFINITIONS_MAX = 256
_definitions: OrderedDict[int, Definition] = OrderedDict()
_definitions_lock = threading.Lock()


def definition_for(*, version_id: int, version: CaseVersion | None = None):
    """The engine's Definition of a stored version (its case and the course's rule
    lessons as they were), built once per process. `version` is the row when the
    caller has it; otherwise it is read (one query, only the first time)."""
    with _definitions_lock:
        built = _definitions.get(version_id)
        if built is not None:
            _definitions.move_to_end(version_id)
            return built
    if version is None:
        version = CaseVersion.objects.only("definition", "rule_lessons").get(
            pk=version_id
        )
    built = Definition(version.definition, rule_lessons=version.rule_lessons)
    with _definitions_lock:
        _definitions[version_id] = built
        while len(_definitions) > _DEFINITIONS_MAX:
            _definitions.popitem(last=False)
    return built
