"""Labels: key/value pairs on flows and executions, written as a map or a list in YAML."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator

from orchestrator.models.base import KestrelModel


class Label(KestrelModel):
    """One label. Values are text, as in Kestra (numbers and booleans are converted)."""

    key: str
    value: str


def label_text(value: Any) -> str:
    """Return a label value as text: booleans as ``true``/``false``, structures as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def normalize_labels(value: Any) -> Any:
    """Turn a ``{key: value}`` map or a ``[{key, value}]`` list into a list of labels."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [{"key": str(key), "value": label_text(item)} for key, item in value.items()]
    if isinstance(value, list):
        return [
            {"key": str(item.get("key")), "value": label_text(item.get("value"))}
            if isinstance(item, dict)
            else item
            for item in value
        ]
    return value


Labels = Annotated[tuple[Label, ...], BeforeValidator(normalize_labels)]
"""Labels as a tuple of key/value pairs, accepting a map or a list."""


def labels_as_dict(labels: tuple[Label, ...]) -> dict[str, str]:
    """Return labels as a map (a later label wins over an earlier one with the same key)."""
    return {label.key: label.value for label in labels}
