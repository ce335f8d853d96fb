"""Create executions and send them commands (kill, resume, restart, replay, labels, delete)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from orchestrator.control.checks import Action, latest_execution, refusal
from orchestrator.control.errors import (
    ExecutionNotFoundError,
    InvalidInputsError,
    InvalidStateError,
)
from orchestrator.control.flows import FlowSource, TopicFlows, live_flow
from orchestrator.kafka import TOPICS, KafkaProducer
from orchestrator.models.execution import Execution, ExecutionTrigger, new_id
from orchestrator.models.flow import Flow
from orchestrator.models.inputs import FileInput, InputValueError
from orchestrator.models.labels import Label
from orchestrator.models.messages import (
    CreateExecution,
    DeleteExecution,
    ExecutionCommand,
    KillExecution,
    ReplayExecution,
    RestartExecution,
    ResumeExecution,
    SetExecutionLabels,
)
from orchestrator.settings import KestrelSettings
from orchestrator.storage.uri import is_storage_uri


def check_inputs(flow: Flow, inputs: dict[str, Any] | None, *, storage_files_only: bool) -> None:
    """Refuse inputs the flow does not declare or that do not fit their type.

    Args:
        flow: The flow to run.
        inputs: The given inputs (None: none at all, defaults apply).
        storage_files_only: FILE inputs must be internal-storage URIs (``kestrel://``): an
            API caller may not point a task at a file of the server.

    Raises:
        InvalidInputsError: naming the input.
    """
    from executor.engine.inputs import typed_inputs

    declared = [each.id for each in flow.inputs]
    for key in inputs or {}:
        if key not in declared:
            if not declared:
                raise InvalidInputsError(f"unknown input '{key}'; the flow declares no inputs", key)
            known = ", ".join(declared)
            raise InvalidInputsError(f"unknown input '{key}'; the flow declares: {known}", key)
    if storage_files_only:
        for each in flow.inputs:
            value = (inputs or {}).get(each.id)
            if isinstance(each, FileInput) and value is not None and not is_storage_uri(value):
                raise InvalidInputsError(
                    f"input '{each.id}': upload the file (multipart) or give a kestrel:// URI",
                    each.id,
                )
    try:
        typed_inputs(flow, inputs)
    except InputValueError as exc:
        raise InvalidInputsError(str(exc), exc.input_id) from exc


class ExecutionControl:
    """Sends the commands of executions to ``execution-commands``, after checking them.

    One instance may serve many threads (the API's handlers): the producer is shared and
    created on first use.
    """

    def __init__(
        self,
        settings: KestrelSettings,
        flows: FlowSource | None = None,
        *,
        storage_files_only: bool = False,
    ) -> None:
        """Control executions through ``settings``' Kafka; read flows from ``flows``."""
        self.settings = settings
        self.flows: FlowSource = flows or TopicFlows(settings)
        self._storage_files_only = storage_files_only
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    @property
    def producer(self) -> KafkaProducer:
        """The shared producer, created on first use."""
        with self._lock:
            if self._producer is None:
                self._producer = KafkaProducer(self.settings)
            return self._producer

    def send(self, command: ExecutionCommand) -> None:
        """Publish one command to its execution's key and wait for the broker's ack."""
        producer = self.producer
        producer.send(TOPICS.execution_commands, command.execution_id, command)
        producer.flush()

    def close(self) -> None:
        """Flush and close the producer."""
        with self._lock:
            if self._producer is not None:
                self._producer.close()
                self._producer = None

    # ---- creation ------------------------------------------------------------------

    def prepare(
        self,
        namespace: str,
        flow_id: str,
        inputs: dict[str, Any] | None = None,
        *,
        labels: list[Label] | tuple[Label, ...] = (),
        schedule_date: datetime | None = None,
        trigger: ExecutionTrigger | None = None,
        execution_id: str | None = None,
        revision: int | None = None,
    ) -> CreateExecution:
        """Check a new execution of a deployed flow and return its Create command (unsent).

        Raises:
            FlowNotFoundError: the flow is not deployed.
            InvalidStateError: the flow is disabled.
            InvalidInputsError: an input is undeclared, missing or of the wrong type.
        """
        record = live_flow(self.flows, namespace, flow_id)
        flow = Flow.model_validate(record.flow)
        if flow.disabled:
            raise InvalidStateError(f"flow {namespace}.{flow_id} is disabled")
        check_inputs(flow, inputs, storage_files_only=self._storage_files_only)
        return CreateExecution(
            execution_id=execution_id or new_id(),
            namespace=namespace,
            flow_id=flow_id,
            flow_revision=revision,
            inputs=inputs,
            labels=tuple(labels),
            trigger=trigger,
            schedule_date=schedule_date,
        )

    def create(
        self,
        namespace: str,
        flow_id: str,
        inputs: dict[str, Any] | None = None,
        **options: Any,
    ) -> CreateExecution:
        """Check and send a new execution (see `prepare`); return the command sent."""
        command = self.prepare(namespace, flow_id, inputs, **options)
        self.send(command)
        return command

    # ---- commands on an existing execution ------------------------------------------

    def latest(self, execution_id: str) -> Execution:
        """The execution's latest snapshot on Kafka.

        Raises:
            ExecutionNotFoundError: no snapshot has this id (or it was deleted).
        """
        execution = latest_execution(self.settings, execution_id)
        if execution is None or execution.deleted:
            raise ExecutionNotFoundError(execution_id)
        return execution

    def _checked(self, action: Action, execution_id: str) -> Execution:
        execution = self.latest(execution_id)
        reason = refusal(action, execution_id, execution)
        if reason is not None:
            raise InvalidStateError(reason)
        return execution

    def kill(self, execution_id: str) -> Execution:
        """Kill an execution that has not ended; return the snapshot it was sent against.

        Raises:
            ExecutionNotFoundError, InvalidStateError: see `refusal`.
        """
        execution = self._checked(Action.KILL, execution_id)
        self.send(KillExecution(execution_id=execution_id))
        return execution

    def resume(self, execution_id: str, inputs: dict[str, Any] | None = None) -> Execution:
        """Resume a PAUSED execution with its Pause's ``onResume`` inputs.

        Raises:
            ExecutionNotFoundError, InvalidStateError: see `refusal`.
            InvalidInputsError: the inputs do not fit the paused task's ``onResume``.
        """
        execution = self._checked(Action.RESUME, execution_id)
        self._check_resume_inputs(execution, inputs or {})
        self.send(ResumeExecution(execution_id=execution_id, inputs=inputs or {}))
        return execution

    def _check_resume_inputs(self, execution: Execution, inputs: dict[str, Any]) -> None:
        from executor.engine.control import resume_outputs
        from orchestrator.tasks.flow import Pause

        record = self.flows.get(execution.namespace, execution.flow_id)
        if record is None:
            return
        flow = Flow.model_validate(record.flow)
        paused_ids = {
            run.task_id for run in execution.task_run_list if run.state.current.value == "PAUSED"
        }
        for task in flow.all_tasks():
            if task.id in paused_ids and isinstance(task, Pause):
                try:
                    resume_outputs(task, inputs)
                except InputValueError as exc:
                    raise InvalidInputsError(str(exc), exc.input_id) from exc

    def restart(self, execution_id: str) -> Execution:
        """Restart an ended (or PAUSED) execution from its failed task runs.

        Raises:
            ExecutionNotFoundError, InvalidStateError: see `refusal`.
        """
        execution = self._checked(Action.RESTART, execution_id)
        self.send(RestartExecution(execution_id=execution_id))
        return execution

    def replay(self, execution_id: str, task_run_id: str | None = None) -> str:
        """Replay an ended execution (from ``task_run_id``, else the start) as a new one.

        Returns:
            The id of the new execution.

        Raises:
            ExecutionNotFoundError, InvalidStateError: see `refusal`; also an unknown task run id.
        """
        execution = self._checked(Action.REPLAY, execution_id)
        if task_run_id is not None and not any(
            run.id == task_run_id for run in execution.task_run_list
        ):
            raise InvalidStateError(f"execution {execution_id} has no task run {task_run_id}")
        new_execution_id = new_id()
        self.send(
            ReplayExecution(
                execution_id=execution_id,
                task_run_id=task_run_id,
                new_execution_id=new_execution_id,
            )
        )
        return new_execution_id

    def set_labels(self, execution_id: str, labels: list[Label]) -> Execution:
        """Replace the labels of an ended execution; return it with the labels it will have.

        Raises:
            ExecutionNotFoundError, InvalidStateError: see `refusal`.
        """
        execution = self._checked(Action.LABEL, execution_id)
        self.send(SetExecutionLabels(execution_id=execution_id, labels=tuple(labels)))
        kept = [label for label in execution.labels if label.key.startswith("system.")]
        given = [label for label in labels if not label.key.startswith("system.")]
        return execution.model_copy(update={"labels": (*kept, *given)})

    def delete(self, execution_id: str) -> Execution:
        """Delete an execution (the executor marks it deleted; the indexer removes it).

        Raises:
            ExecutionNotFoundError: no such execution.
        """
        execution = self.latest(execution_id)
        self.send(DeleteExecution(execution_id=execution_id))
        return execution
