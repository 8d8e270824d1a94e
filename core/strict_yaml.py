"""Strict YAML, as content files are read: every problem a `file:line` message.

Safe YAML with duplicate keys, aliases and YAML 1.1 booleans (yes/no/on/off)
refused; each mapping records its own line (`__line__`) and each key's line
(`__lines__`), so a checker can say on which line a value is wrong. The content
reader (curriculum.reader) and the case editor of the admin (cases.admin) read
with it.
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Hashable
from typing import Any

import yaml

__all__ = ["LINE_KEYS", "load_yaml", "without_lines"]

LINE_KEYS = ("__line__", "__lines__")
_short = reprlib.Repr(maxstring=60, maxother=60, maxlist=4, maxdict=4, maxlevel=2)


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML with duplicate keys, aliases and YAML 1.1 booleans (yes/no/on/off)
    refused; each mapping records its line (`__line__`) and each key's (`__lines__`)."""

    first_line = 1  # file line of the text's first line (front matter starts at 2)

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith(":bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    mapping: dict = {}
    lines: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + loader.first_line
        if not isinstance(key, Hashable) or key in ("__line__", "__lines__"):
            raise yaml.constructor.ConstructorError(
                None, None, f"unusable key {_short.repr(key)}", key_node.start_mark
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first given on line {lines[key]})",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = line
    mapping["__line__"] = node.start_mark.line + loader.first_line
    mapping["__lines__"] = lines
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def load_yaml(text: str, *, first_line: int) -> Any:
    loader = _StrictLoader(text)
    loader.first_line = first_line
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def without_lines(value: Any) -> Any:
    """A value read by `load_yaml` without its line records: what the file says."""
    if isinstance(value, dict):
        return {k: without_lines(v) for k, v in value.items() if k not in LINE_KEYS}
    if isinstance(value, list):
        return [without_lines(item) for item in value]
    return value
