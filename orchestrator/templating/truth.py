"""Kestra's truth of a rendered condition (``runIf``, ``If``, ``While``...)."""

from __future__ import annotations

from typing import Any

_FALSE_TEXTS = frozenset({"", "false", "0", "-0", "null", "none"})


def is_truthy(value: Any) -> bool:
    """Kestra's truth of a rendered condition: false for ``false``, ``0``, empty or null."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() not in _FALSE_TEXTS
