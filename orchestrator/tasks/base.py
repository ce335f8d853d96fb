"""Base classes of task types: every task has an id, a type and the common properties."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import Field, SerializeAsAny, ValidatorFunctionWrapHandler, WrapValidator

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from orchestrator.models.log_level import LogLevel as LogLevel  # re-exported: it lived here
from orchestrator.models.retry import Retry
from orchestrator.tasks.catalog import BUILTIN_TASKS
from orchestrator.tasks.registry import TASK_ENTRY_POINT_GROUP, TypeRegistry, UnknownTypeError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

TASK_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"


class Task(KestrelModel):
    """Common properties of every task, runnable or flowable.

    Subclasses set ``type_name`` (Kestrel's name for the type) and ``aliases`` (other names
    accepted in YAML, such as Kestra's). The ``type`` field keeps what the user wrote.
    """

    type_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    reads_run_variables: ClassVar[bool] = False
    """Whether the task's code reads ``outputs``, ``tasks`` or the error logs of its
    context (not only its templates): the worker then gets them whatever its properties
    name (``executor/engine/worker_context.py``)."""

    id: str = Field(pattern=TASK_ID_PATTERN, max_length=256)
    type: str
    description: str | None = None
    disabled: bool = False
    timeout: Duration | None = None
    retry: Retry | None = None
    allow_failure: bool = False
    allow_warning: bool = False
    run_if: str | None = None
    log_level: LogLevel | None = None
    log_to_file: bool = False
    worker_group: dict[str, Any] | None = None
    task_cache: dict[str, Any] | None = None
    """Kestra's output cache (``enabled``, ``ttl``): accepted; Kestrel runs the task again."""
    assets: dict[str, Any] | None = None
    """Kestra's data lineage metadata (``inputs``, ``outputs``): accepted, not used yet."""

    @property
    def is_flowable(self) -> bool:
        """Whether the engine resolves this task itself instead of sending it to a worker."""
        return False

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield ``(property name, tasks)`` for every list of child tasks (none here)."""
        yield from ()

    def walk(self) -> Iterator[Task]:
        """Yield this task, then every task nested under it, depth first."""
        yield self
        for _, tasks in self.child_task_lists():
            for task in tasks:
                yield from task.walk()


def _build_task_registry() -> TypeRegistry[Task]:
    registry: TypeRegistry[Task] = TypeRegistry("task", Task, TASK_ENTRY_POINT_GROUP)
    for name, (target, aliases) in BUILTIN_TASKS.items():
        registry.register(name, target, aliases)
    return registry


TASK_TYPES = _build_task_registry()
"""Every task type Kestrel knows: built-ins, their Kestra aliases and plugins."""


def _validate_task(value: Any, handler: ValidatorFunctionWrapHandler) -> Task:
    """Validate a task by the class its ``type`` names in the registry."""
    if isinstance(value, Task):
        return value
    if not isinstance(value, dict):
        return handler(value)  # type: ignore[no-any-return]  # lets pydantic word the error
    if "type" not in value:
        raise ValueError(f"task '{value.get('id', '?')}' has no 'type'")
    try:
        task_class = TASK_TYPES.resolve(str(value.get("type")))
    except UnknownTypeError as exc:
        raise exc.at_type_key("Task") from None
    return task_class.model_validate(value)


TaskRef = Annotated[Task, WrapValidator(_validate_task), SerializeAsAny()]
"""A task of any registered type, chosen by its ``type`` (use this in models)."""


class RunnableTask(Task):
    """A task a worker runs: subclasses implement `run`."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the task and return its outputs (None for no outputs).

        Raises:
            TaskFailedError: the task failed (other exceptions fail it too).
        """
        raise NotImplementedError(f"task type {self.type} does not implement run()")


class FlowableTask(Task):
    """A task that only arranges other tasks; the executor's engine resolves it.

    Every flowable task may declare its own ``errors`` and ``finally`` branches.
    """

    errors: list[TaskRef] = Field(default_factory=list)
    finally_: list[TaskRef] = Field(default_factory=list, alias="finally")

    @property
    def is_flowable(self) -> bool:
        """Always True: the engine resolves flowable tasks."""
        return True

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield the ``errors`` and ``finally`` branches; subclasses add their own lists."""
        yield "errors", self.errors
        yield "finally", self.finally_
