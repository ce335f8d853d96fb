"""Labels of executions: at creation, from a Labels task, and for subflows."""

from __future__ import annotations

from typing import Any

from orchestrator.models.labels import Label, label_text, normalize_labels

SYSTEM_PREFIX = "system."
CORRELATION_ID = "system.correlationId"


def merged(base: list[Label], additions: list[Label]) -> list[Label]:
    """Return ``base`` with ``additions`` applied by key (a new value replaces the old)."""
    values = {label.key: label.value for label in base}
    for label in additions:
        values[label.key] = label.value
    return [Label(key=key, value=value) for key, value in values.items()]


def as_labels(value: Any) -> list[Label]:
    """Read labels given as a map or a list of ``{key, value}``."""
    return [
        Label(key=str(item["key"]), value=label_text(item["value"]))
        for item in normalize_labels(value)
        if isinstance(item, dict)
    ]


def creation_labels(
    flow_labels: tuple[Label, ...], given: tuple[Label, ...], execution_id: str
) -> list[Label]:
    """Labels of a new execution: the flow's (not ``system.*``), the caller's, a correlation id.

    A subflow's execution receives its parent's correlation id among ``given``.
    """
    own = [label for label in flow_labels if not label.key.startswith(SYSTEM_PREFIX)]
    labels = merged(own, list(given))
    if not any(label.key == CORRELATION_ID for label in labels):
        labels.append(Label(key=CORRELATION_ID, value=execution_id))
    return labels


def child_labels(parent: list[Label], extra: Any, *, inherit: bool) -> list[Label]:
    """Labels of a subflow's execution: the parent's system labels (all if ``inherit``)."""
    kept = [label for label in parent if inherit or label.key.startswith(SYSTEM_PREFIX)]
    return merged(kept, as_labels(extra))
