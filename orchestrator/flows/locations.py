"""YAML parsing that remembers where every key and value came from (line and column).

PyYAML composes a node tree with marks before it builds Python objects; we build the data
from that tree ourselves so each path (``("tasks", 2, "message")``) maps to its position,
and duplicate keys, which PyYAML would silently collapse, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a YAML document."""

    line: int
    column: int

    @classmethod
    def of(cls, node: yaml.Node) -> Position:
        """Return where ``node`` starts."""
        return cls(node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass
class LocatedDocument:
    """Parsed YAML data with the position of every value and every mapping key."""

    data: Any
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    duplicate_keys: list[tuple[Path, Position]] = field(default_factory=list)

    def position(self, path: Path, *, prefer_key: bool = False) -> Position:
        """Return the position of ``path``, or of its nearest known ancestor.

        Args:
            path: keys and indices from the document root.
            prefer_key: point at the key (``message:``) rather than at its value.
        """
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefer_key and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return Position(1, 1)


class _Constructor(yaml.SafeLoader):
    """Safe loader used only for its scalar constructors (bool, int, float, dates, null)."""


def load_located(source: str) -> LocatedDocument:
    """Parse one YAML document, recording positions.

    Raises:
        yaml.YAMLError: the text is not valid YAML (the error carries a mark).
    """
    loader = _Constructor(source)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    document = LocatedDocument(data=None)
    if root is None:
        return document
    document.data = _build(root, (), document, loader)
    return document


def _build(node: yaml.Node, path: Path, document: LocatedDocument, loader: _Constructor) -> Any:
    document.values[path] = Position.of(node)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                key = str(key)
            child: Path = (*path, key)
            if key in result:
                document.duplicate_keys.append((child, Position.of(key_node)))
            document.keys[child] = Position.of(key_node)
            result[key] = _build(value_node, child, document, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), document, loader) for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
