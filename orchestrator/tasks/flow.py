"""Flowable core tasks: the engine resolves them, they never reach a worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration, DurationOrTemplate
from orchestrator.models.inputs import InputRef
from orchestrator.namespace_files import NamespaceFiles
from orchestrator.tasks.base import FlowableTask, Task, TaskRef
from orchestrator.tasks.workdir_end import END_SUFFIX, WorkingDirectoryEnd
from orchestrator.workdir_cache import WorkdirCache


class _TasksFlowable(FlowableTask):
    """A flowable task with one ``tasks`` list."""

    tasks: list[TaskRef] = Field(min_length=1)

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield ``tasks``, then the ``errors`` and ``finally`` branches."""
        yield "tasks", self.tasks
        yield from super().child_task_lists()


class Sequential(_TasksFlowable):
    """Run ``tasks`` one after the other."""

    type_name: ClassVar[str] = "kestrel.core.flow.Sequential"


class Parallel(_TasksFlowable):
    """Run ``tasks`` at the same time, at most ``concurrent`` at once (0: no limit)."""

    type_name: ClassVar[str] = "kestrel.core.flow.Parallel"

    concurrent: int = Field(default=0, ge=0)


class AllowFailure(_TasksFlowable):
    """Run ``tasks``; a failure among them ends this task in WARNING instead of FAILED."""

    type_name: ClassVar[str] = "kestrel.core.flow.AllowFailure"


class Switch(FlowableTask):
    """Run the branch of ``cases`` whose key equals the rendered ``value``, else ``defaults``."""

    type_name: ClassVar[str] = "kestrel.core.flow.Switch"

    value: str
    cases: dict[str, list[TaskRef]] = Field(default_factory=dict)
    defaults: list[TaskRef] = Field(default_factory=list)

    @field_validator("defaults", mode="before")
    @classmethod
    def _null_is_empty(cls, defaults: Any) -> Any:
        return [] if defaults is None else defaults

    @field_validator("cases", mode="before")
    @classmethod
    def _string_keys(cls, cases: Any) -> Any:
        # YAML reads `1:` as an integer key; the rendered value is always compared as text.
        if isinstance(cases, dict):
            return {_case_key(key): branch for key, branch in cases.items()}
        return cases

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield every case, ``defaults``, then ``errors`` and ``finally``."""
        for key, branch in self.cases.items():
            yield f"cases.{key}", branch
        yield "defaults", self.defaults
        yield from super().child_task_lists()


def _case_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


class If(FlowableTask):
    """Run ``then`` when ``condition`` renders to a true value, else ``else``."""

    type_name: ClassVar[str] = "kestrel.core.flow.If"

    condition: str | bool
    then: list[TaskRef] = Field(min_length=1)
    else_: list[TaskRef] = Field(default_factory=list, alias="else")

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield ``then``, ``else``, then ``errors`` and ``finally``."""
        yield "then", self.then
        yield "else", self.else_
        yield from super().child_task_lists()


class ForEach(_TasksFlowable):
    """Run ``tasks`` once per item of ``values``, ``concurrencyLimit`` items at once (0: all)."""

    type_name: ClassVar[str] = "kestrel.core.flow.ForEach"

    values: str | list[Any]
    concurrency_limit: int = Field(default=1, ge=0)


class EachSequential(_TasksFlowable):
    """Run ``tasks`` once per item of ``value``, one item after the other (Kestra's old name)."""

    type_name: ClassVar[str] = "kestrel.core.flow.EachSequential"

    value: str | list[Any]


class EachParallel(_TasksFlowable):
    """Run ``tasks`` once per item of ``value``, items in parallel (Kestra's old name)."""

    type_name: ClassVar[str] = "kestrel.core.flow.EachParallel"

    value: str | list[Any]
    concurrent: int = Field(default=0, ge=0)


class DagTask(KestrelModel):
    """One node of a Dag: a task and the ids of the nodes it waits for."""

    task: TaskRef
    depends_on: list[str] = Field(default_factory=list)


class Dag(FlowableTask):
    """Run ``tasks`` as a graph: a node starts when everything it depends on succeeded."""

    type_name: ClassVar[str] = "kestrel.core.flow.Dag"

    tasks: list[DagTask] = Field(min_length=1)
    concurrent: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _acyclic(self) -> Dag:
        ids = [node.task.id for node in self.tasks]
        graph = {node.task.id: node.depends_on for node in self.tasks}
        for node in self.tasks:
            for dependency in node.depends_on:
                if dependency not in graph:
                    raise ValueError(
                        f"task '{node.task.id}' depends on '{dependency}', which is not in "
                        f"this Dag (its tasks: {', '.join(ids)})"
                    )
        cycle = _find_cycle(graph)
        if cycle:
            raise ValueError(f"dependency cycle: {' -> '.join(cycle)}")
        return self

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield the Dag's tasks, then ``errors`` and ``finally``."""
        yield "tasks", [node.task for node in self.tasks]
        yield from super().child_task_lists()


def _find_cycle(graph: dict[str, list[str]]) -> list[str]:
    """Return one cycle of ``graph`` as a path (first node repeated at the end), or []."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str]:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return []
        visiting.append(node)
        for dependency in graph.get(node, []):
            found = visit(dependency)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return []

    for start in graph:
        found = visit(start)
        if found:
            return found
    return []


class Subflow(FlowableTask):
    """Start an execution of another flow, optionally waiting for it and taking its outputs."""

    type_name: ClassVar[str] = "kestrel.core.flow.Subflow"

    namespace: str
    flow_id: str
    revision: int | None = Field(default=None, ge=1)
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] | list[dict[str, Any]] = Field(default_factory=dict)
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False
    schedule_date: str | None = None
    outputs: dict[str, Any] = Field(default_factory=dict)


class Pause(FlowableTask):
    """Pause the execution: resumed after ``delay``, or by a manual resume (with ``onResume``).

    ``timeout`` fails the pause when no resume arrives in time. ``tasks`` (deprecated in
    Kestra) run after the resume.
    """

    type_name: ClassVar[str] = "kestrel.core.flow.Pause"

    delay: DurationOrTemplate | None = None
    """Resume by itself after this long (Kestra's older name of ``pauseDuration``)."""
    on_resume: list[InputRef] = Field(default_factory=list)
    """Inputs a manual resume may give; they become the Pause's outputs."""
    tasks: list[TaskRef] = Field(default_factory=list)
    """Deprecated in Kestra: tasks run after the resume."""
    behavior: Literal["RESUME", "WARN", "FAIL", "CANCEL"] = "RESUME"
    """What happens when ``pauseDuration`` elapses with no manual resume: the Pause ends
    SUCCESS (RESUME), WARNING (WARN), FAILED (FAIL) or KILLED (CANCEL)."""

    @model_validator(mode="before")
    @classmethod
    def _pause_duration(cls, data: Any) -> Any:
        # Kestra renamed ``delay`` to ``pauseDuration``; both are read into ``delay``.
        if isinstance(data, dict) and "pauseDuration" in data:
            data = dict(data)
            duration = data.pop("pauseDuration")
            if data.get("delay") is not None:
                raise ValueError("give pauseDuration or delay, not both")
            data["delay"] = duration
        return data

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield ``tasks``, then ``errors`` and ``finally``."""
        yield "tasks", self.tasks
        yield from super().child_task_lists()


class WorkingDirectory(_TasksFlowable):
    """Run ``tasks`` one after the other in one shared folder (files persist between them).

    A new folder gets the saved ``cache``, the ``namespaceFiles`` and the ``inputFiles``,
    in that order. Each child runs on a worker in the same folder; it is saved to the
    internal storage after each child, so the next one finds it on any worker. After the
    tasks, an internal task (``<id>_end``) stores the ``outputFiles`` (the
    WorkingDirectory's ``outputs.<id>.outputFiles``) and saves the cache.

    Example:
        ```yaml
        - id: wdir
          type: io.kestra.plugin.core.flow.WorkingDirectory
          tasks:
            - id: write
              type: io.kestra.plugin.scripts.shell.Commands
              commands: ["echo hello > hello.txt"]
            - id: read
              type: io.kestra.plugin.scripts.python.Script
              script: print(open("hello.txt").read())
        ```
    """

    type_name: ClassVar[str] = "kestrel.core.flow.WorkingDirectory"

    input_files: dict[str, Any] | str | None = None
    """Files written into the folder first: name -> content (a ``kestrel://`` URI is copied)."""
    output_files: list[str] = Field(default_factory=list)
    """Globs of files of the folder stored after the tasks: ``outputs.<id>.outputFiles``."""
    namespace_files: NamespaceFiles | None = None
    """Files of the namespace copied into the folder before the tasks."""
    cache: WorkdirCache | None = None
    """Files (``patterns``) kept from one execution to the next, for ``ttl``."""

    _end: list[Task] = PrivateAttr(default_factory=list)

    def model_post_init(self, context: Any, /) -> None:
        """Add the internal end task when there are files to store or a cache to save."""
        if self.output_files or self.cache is not None:
            end = WorkingDirectoryEnd(
                id=f"{self.id}{END_SUFFIX}",
                type=WorkingDirectoryEnd.type_name,
                working_directory_id=self.id,
                output_files=self.output_files,
                cache=self.cache,
            )
            self._end = [end]

    @property
    def run_tasks(self) -> list[Task]:
        """The tasks the engine runs in order: ``tasks``, then the internal end task if any."""
        return [*self.tasks, *self._end]

    def child_task_lists(self) -> Iterator[tuple[str, list[Task]]]:
        """Yield the tasks run (with the internal end task), then ``errors`` and ``finally``."""
        yield "tasks", self.run_tasks
        yield from FlowableTask.child_task_lists(self)


class CheckFrequency(KestrelModel):
    """How often and how long a WaitFor repeats its tasks."""

    max_iterations: int = Field(default=100, ge=1)
    """Iterations at most."""
    max_duration: Duration = timedelta(hours=1)
    """Time at most, from the WaitFor's start."""
    interval: Duration = timedelta(seconds=1)
    """The wait between the end of an iteration and the next one."""


class WaitFor(_TasksFlowable):
    """Run ``tasks`` again and again until ``condition`` holds after an iteration.

    Each iteration's runs carry its index (``taskrun.iteration``); ``outputs.<id>.iterationCount``
    counts the iterations so far. When ``checkFrequency`` limits are reached first, the
    task ends SUCCESS, or FAILED with ``failOnMaxReached``.

    Example:
        ```yaml
        - id: poll
          type: io.kestra.plugin.core.flow.WaitFor
          condition: "{{ outputs.status.body.done }}"
          checkFrequency:
            interval: PT30S
          tasks:
            - id: status
              type: io.kestra.plugin.core.http.Request
              uri: https://example.com/job/42
        ```
    """

    type_name: ClassVar[str] = "kestrel.core.flow.WaitFor"

    condition: str | bool
    """Checked after each iteration; the loop ends when it renders true."""
    fail_on_max_reached: bool = False
    """End FAILED (instead of SUCCESS) when a limit is reached before the condition."""
    check_frequency: CheckFrequency = Field(default_factory=CheckFrequency)
    """Limits and the interval between iterations."""


class Exit(Task):
    """End the execution now, in ``state``: nothing more starts, running tasks are killed.

    Example:
        ```yaml
        - id: stop
          type: io.kestra.plugin.core.execution.Exit
          state: WARNING
          exitMessage: "nothing to do today"
        ```
    """

    type_name: ClassVar[str] = "kestrel.core.execution.Exit"

    state: Literal["SUCCESS", "WARNING", "KILLED", "FAILED", "CANCELED"] = "SUCCESS"
    """The execution's final state (CANCELED ends it CANCELLED)."""
    exit_message: str | None = None
    """Logged when the task runs (rendered)."""

    @property
    def is_flowable(self) -> bool:
        """True: the engine ends the execution itself."""
        return True


class Sleep(Task):
    """Wait ``duration``; the engine sets a timer, so no worker slot is held."""

    type_name: ClassVar[str] = "kestrel.core.flow.Sleep"

    duration: DurationOrTemplate

    @property
    def is_flowable(self) -> bool:
        """True: the engine resolves a Sleep with a timer."""
        return True
