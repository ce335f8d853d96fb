"""The Flow model: what a user declares in YAML."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from orchestrator.models.inputs import InputRef
from orchestrator.models.labels import Labels
from orchestrator.models.retry import Retry
from orchestrator.models.triggers import TriggerRef
from orchestrator.tasks.base import TASK_TYPES, Task, TaskRef
from orchestrator.tasks.registry import UnknownTypeError

NAMESPACE_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
FLOW_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
_TASK_LIST_KEYS = ("tasks", "errors", "finally", "then", "else", "defaults")
_DEFAULTED_KEYS = (*_TASK_LIST_KEYS, "triggers")
"""Where plugin defaults apply: every task list, and the triggers (as in Kestra)."""


class ConcurrencyBehavior(StrEnum):
    """What happens to a new execution when the flow's concurrency limit is reached."""

    QUEUE = "QUEUE"
    CANCEL = "CANCEL"
    FAIL = "FAIL"


class Concurrency(KestrelModel):
    """At most ``limit`` running executions of the flow; beyond it, ``behavior`` applies."""

    limit: int = Field(ge=1)
    behavior: ConcurrencyBehavior = ConcurrencyBehavior.QUEUE


class FlowOutput(KestrelModel):
    """An output of the flow, rendered when the execution ends."""

    id: str
    value: Any
    type: str = "STRING"
    description: str | None = None


class TaskDefault(KestrelModel):
    """Default property values for every task of ``type`` (``forced`` overrides the task's)."""

    type: str
    values: dict[str, Any] = Field(default_factory=dict)
    forced: bool = False


class Sla(KestrelModel):
    """A service-level rule on the execution (for example a maximum duration)."""

    id: str
    type: str
    behavior: str = "FAIL"
    duration: Duration | None = None
    assert_: str | None = Field(default=None, alias="assert")
    labels: Labels = ()


class Flow(KestrelModel):
    """A flow: an ordered list of tasks with inputs, error branches and triggers."""

    id: str = Field(pattern=FLOW_ID_PATTERN, max_length=100)
    namespace: str = Field(pattern=NAMESPACE_PATTERN, max_length=150)
    revision: int | None = Field(default=None, ge=1)
    description: str | None = None
    labels: Labels = ()
    inputs: list[InputRef] = Field(default_factory=list)
    variables: dict[str, Any] = Field(default_factory=dict)
    tasks: list[TaskRef] = Field(min_length=1)
    errors: list[TaskRef] = Field(default_factory=list)
    finally_: list[TaskRef] = Field(default_factory=list, alias="finally")
    triggers: list[TriggerRef] = Field(default_factory=list)
    concurrency: Concurrency | None = None
    disabled: bool = False
    outputs: list[FlowOutput] = Field(default_factory=list)
    retry: Retry | None = None
    sla: list[Sla] = Field(default_factory=list)
    task_defaults: list[TaskDefault] = Field(default_factory=list)
    deleted: bool = False

    @model_validator(mode="before")
    @classmethod
    def _apply_task_defaults(cls, data: Any) -> Any:
        """Merge ``taskDefaults`` (or ``pluginDefaults``) into matching raw task definitions."""
        if not isinstance(data, dict):
            return data
        defaults = data.get("taskDefaults") or data.get("pluginDefaults")
        if "pluginDefaults" in data:
            data = {key: value for key, value in data.items() if key != "pluginDefaults"}
            data["taskDefaults"] = defaults
        if not isinstance(defaults, list) or not defaults:
            return data
        rules = [rule for rule in defaults if isinstance(rule, dict) and "type" in rule]
        return {
            key: _with_defaults(value, rules) if key in _DEFAULTED_KEYS else value
            for key, value in data.items()
        }

    @model_validator(mode="after")
    def _unique_ids(self) -> Flow:
        for kind, ids in (
            ("task", [task.id for task in self.all_tasks()]),
            ("input", [each.id for each in self.inputs]),
            ("trigger", [each.id for each in self.triggers]),
        ):
            duplicated = sorted(key for key, count in Counter(ids).items() if count > 1)
            if duplicated:
                raise ValueError(f"duplicate {kind} id: {', '.join(duplicated)}")
        return self

    @property
    def uid(self) -> str:
        """The flow's key on Kafka: ``namespace/id``."""
        return f"{self.namespace}/{self.id}"

    def all_tasks(self) -> Iterator[Task]:
        """Yield every task of the flow, nested ones included, depth first."""
        for task in (*self.tasks, *self.errors, *self.finally_):
            yield from task.walk()

    def find_task(self, task_id: str) -> Task | None:
        """Return the task with ``task_id`` anywhere in the flow, or None."""
        return next((task for task in self.all_tasks() if task.id == task_id), None)


def _with_defaults(node: Any, rules: list[dict[str, Any]]) -> Any:
    """Return ``node`` with task defaults merged into every task definition inside it."""
    if isinstance(node, list):
        return [_with_defaults(item, rules) for item in node]
    if not isinstance(node, dict):
        return node
    merged = {key: _with_defaults(value, rules) for key, value in node.items()}
    if "id" in merged and isinstance(merged.get("type"), str):
        for rule in rules:
            if _same_type(rule["type"], merged["type"]):
                values = rule.get("values") or {}
                merged = {**merged, **values} if rule.get("forced") else {**values, **merged}
    return merged


def _same_type(rule_type: str, task_type: str) -> bool:
    """Whether a default's type names the task's type: directly, by an alias, or as a prefix.

    ``io.kestra.plugin.jdbc.postgresql`` covers every PostgreSQL task and trigger, as in Kestra.
    """
    if rule_type == task_type or task_type.startswith(f"{rule_type}."):
        return True
    try:
        return TASK_TYPES.resolve(rule_type) is TASK_TYPES.resolve(task_type)
    except UnknownTypeError:
        return False
