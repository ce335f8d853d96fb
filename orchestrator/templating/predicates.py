"""Pebble's tests that Jinja lacks: ``is null``, ``is empty``, ``is json``, ``is map``.

``defined``, ``even``, ``odd`` and ``iterable`` are Jinja's own. Only ``defined`` accepts an
undefined value; the others fail on it, as Pebble's strict mode does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sized
from typing import Any

from jinja2 import Undefined

from orchestrator.templating.values import fail_undefined


def test_null(value: Any) -> bool:
    """``is null``; an undefined value is an error, as in Pebble's strict mode."""
    if isinstance(value, Undefined):
        fail_undefined(value)
    return value is None


def test_empty(value: Any) -> bool:
    """``is empty``: null, blank string, or empty list or map."""
    if isinstance(value, Undefined):
        fail_undefined(value)
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, Sized) and len(value) == 0


def test_json(value: Any) -> bool:
    """``is json``: a map, a list, or a string holding valid JSON."""
    if isinstance(value, Undefined):
        fail_undefined(value)
    if isinstance(value, Mapping | list | tuple):
        return True
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def tests() -> dict[str, Callable[..., bool]]:
    """The Pebble tests Jinja lacks (``defined``, ``even``, ``odd``... are Jinja's own)."""
    return {
        "null": test_null,
        "empty": test_empty,
        "json": test_json,
        "map": lambda value: isinstance(value, Mapping),
    }
