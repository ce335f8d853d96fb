"""Parts of a trigger's state (`TriggerState`): a backfill's progress, a flow trigger's window.

Kept apart from ``messages.py`` so that the commands of ``trigger-commands`` and the state
of ``triggers`` share them without an import cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.labels import Labels


def trigger_key(namespace: str, flow_id: str, trigger_id: str) -> str:
    """The key of a trigger on ``triggers`` and ``trigger-commands``: ``ns/flow/trigger``."""
    return f"{namespace}/{flow_id}/{trigger_id}"


class BackfillProgress(KestrelModel):
    """A backfill of a schedule: the slots from ``start`` to ``end``, fired one at a time.

    ``next_date`` is the next slot to fire (None: every slot fired). It moves forward in the
    same transaction as each Create command, so a slot is never fired twice, and deleting
    the backfill never replays the slots already fired (Kestra PR #18249).
    """

    start: datetime
    end: datetime
    next_date: datetime | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: Labels = ()
    paused: bool = False
    fired: int = 0
    created: datetime
    last_fired: datetime | None = None


class UpstreamRun(KestrelModel):
    """An upstream execution counted by a flow trigger's preconditions window."""

    execution_id: str
    namespace: str
    flow_id: str
    state: str
    ended: datetime
    outputs: dict[str, Any] = Field(default_factory=dict)


class PreconditionWindow(KestrelModel):
    """What a flow trigger's preconditions have seen in the current time window.

    ``matched`` maps each precondition flow (``namespace/flowId``) to the latest upstream
    execution that satisfied it since ``start``.
    """

    start: datetime | None = None
    matched: dict[str, UpstreamRun] = Field(default_factory=dict)
