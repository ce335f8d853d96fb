"""Running one attempt of a runnable task: the part every worker shell shares.

`run_task` renders and runs the task with a `RunContext`, enforces its timeout, and turns
the outcome (outputs, or an exception of any kind) into a `WorkerTaskResult`.

A task that times out is told to stop (``ctx.cancelled`` is set: a script's process group
is ended, a Python task is expected to check the event) and gets ``stop_grace`` seconds to
end. Only then is the attempt reported, so its slot is not reused while it still runs. A
thread that ignores the request is abandoned, loudly: Python cannot end a thread from
outside, and holding the slot forever would shrink the worker for good.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

from pydantic import ValidationError

from orchestrator.models.duration import format_duration
from orchestrator.models.messages import TaskFailure, WorkerTask, WorkerTaskResult
from orchestrator.models.state import StateType
from orchestrator.plugin import LogSink, RunContext, Storage, TaskFailedError
from orchestrator.secrets import SecretCodec, SecretError
from orchestrator.tasks.base import TASK_TYPES, RunnableTask
from orchestrator.templating import TemplateError, TemplateRenderer

log = logging.getLogger("kestrel.worker")

DEFAULT_STOP_GRACE = 20.0
"""Seconds a task told to stop gets to end (a script: SIGTERM, 5 s, SIGKILL, pipes closed)."""


def started(worker_task: WorkerTask, worker_id: str) -> WorkerTaskResult:
    """The RUNNING report a worker sends before it runs an attempt."""
    run = worker_task.task_run
    return WorkerTaskResult(
        execution_id=run.execution_id,
        task_run_id=run.id,
        attempt=worker_task.attempt,
        state=StateType.RUNNING,
        worker_id=worker_id,
    )


def run_task(
    worker_task: WorkerTask,
    renderer: TemplateRenderer,
    log_sink: LogSink,
    worker_id: str,
    cancelled: threading.Event | None = None,
    storage: Storage | None = None,
    secrets: SecretCodec | None = None,
    stop_grace: float = DEFAULT_STOP_GRACE,
) -> WorkerTaskResult:
    """Run one attempt and report how it ended; never raises.

    A task that finished but called ``ctx.set_warning`` ends WARNING. SECRET inputs arrive
    encrypted; they are decrypted with ``secrets`` for rendering and masked in logs. A task
    that times out gets ``stop_grace`` seconds to stop before it is abandoned. An error of
    the worker's own code (not of the task) ends the attempt FAILED with a ``WorkerError``.
    """
    try:
        return _run(
            worker_task, renderer, log_sink, worker_id, cancelled, storage, secrets, stop_grace
        )
    except Exception as exc:  # the boundary: whatever went wrong, the attempt gets a result
        return crashed(worker_task, worker_id, exc)


def crashed(worker_task: WorkerTask, worker_id: str, error: BaseException) -> WorkerTaskResult:
    """The FAILED result of an attempt the worker's own code failed on, with the reason.

    Also logs the error, with its traceback and the task run id, at ERROR.
    """
    run = worker_task.task_run
    log.error(
        "task run %s (attempt %d) crashed the worker code",
        run.id,
        worker_task.attempt,
        exc_info=error,
    )
    summary = "".join(traceback.format_exception_only(type(error), error)).strip()
    failure = TaskFailure(error_type="WorkerError", message=f"WorkerError: {summary}")
    return started(worker_task, worker_id).model_copy(
        update={"state": StateType.FAILED, "outputs": {}, "failure": failure}
    )


def _run(
    worker_task: WorkerTask,
    renderer: TemplateRenderer,
    log_sink: LogSink,
    worker_id: str,
    cancelled: threading.Event | None,
    storage: Storage | None,
    secrets: SecretCodec | None,
    stop_grace: float,
) -> WorkerTaskResult:
    run = worker_task.task_run

    def result(
        state: StateType, outputs: dict[str, Any] | None = None, failure: TaskFailure | None = None
    ) -> WorkerTaskResult:
        return WorkerTaskResult(
            execution_id=run.execution_id,
            task_run_id=run.id,
            attempt=worker_task.attempt,
            state=state,
            worker_id=worker_id,
            outputs=outputs,
            failure=failure,
        )

    invalid = "InvalidTask"
    try:
        task = TASK_TYPES.resolve(str(worker_task.task.get("type"))).model_validate(
            worker_task.task
        )
    except (ValidationError, ValueError) as exc:
        failure = TaskFailure(error_type=invalid, message=str(exc), retryable=False)
        return result(StateType.FAILED, failure=failure)
    if not isinstance(task, RunnableTask):
        message = f"task type {task.type} cannot run on a worker"
        failure = TaskFailure(error_type=invalid, message=message, retryable=False)
        return result(StateType.FAILED, failure=failure)
    variables, revealed = worker_task.context, set[str]()
    if secrets is not None:
        try:
            variables, revealed = secrets.reveal(worker_task.context)
        except SecretError as exc:
            failure = TaskFailure(error_type="SecretError", message=str(exc), retryable=False)
            return result(StateType.FAILED, failure=failure)
    context = RunContext(
        task=task,
        task_run=run,
        attempt=worker_task.attempt,
        variables=variables,
        renderer=renderer,
        log_sink=log_sink,
        worker_id=worker_id,
        storage=storage,
        shared_directory=worker_task.working_directory,
    )
    context.add_secrets(revealed)
    if cancelled is not None:
        context.cancelled = cancelled
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            outcome["outputs"] = task.run(context)
        except BaseException as exc:
            outcome["error"] = exc

    if task.timeout is None:
        body()
    else:
        thread = threading.Thread(target=body, name=f"task-{run.id}", daemon=True)
        thread.start()
        thread.join(task.timeout.total_seconds())
        if thread.is_alive():
            context.cancelled.set()
            thread.join(stop_grace)
            message = f"Timeout after {format_duration(task.timeout)}"
            if thread.is_alive():
                message += (
                    f"; the task did not stop within {stop_grace:g} s of being told to and was "
                    "abandoned (it may still be running)"
                )
                log.error("task run %s (attempt %d): %s", run.id, worker_task.attempt, message)
            context.logger.error(message)
            timed_out = TaskFailure(error_type="Timeout", message=message)
            return result(StateType.FAILED, failure=timed_out)
    if context.cancelled.is_set():
        return result(StateType.KILLED, outputs={})
    error = outcome.get("error")
    if error is None:
        outputs = context.mask_value(outcome.get("outputs") or {})
        if context.warning is not None:
            context.logger.warn(context.warning)
            return result(StateType.WARNING, outputs=outputs)
        return result(StateType.SUCCESS, outputs=outputs)
    # The reason travels to Kafka, the execution and Elasticsearch: mask it like a log line.
    failure = _failure(error)
    failure = failure.model_copy(update={"message": context.mask(failure.message)})
    context.logger.error(failure.message)
    return result(StateType.FAILED, outputs={}, failure=failure)


def _failure(error: BaseException) -> TaskFailure:
    if isinstance(error, TaskFailedError):
        return TaskFailure(
            error_type=error.error_type, message=str(error), retryable=error.retryable
        )
    if isinstance(error, TemplateError):
        # Retried as Kestra does: a template may depend on what changes between attempts
        # (``taskrun.attemptsCount``, ``now()``, an output read from outside).
        return TaskFailure(error_type="TemplateError", message=str(error))
    summary = "".join(traceback.format_exception_only(type(error), error)).strip()
    return TaskFailure(error_type=type(error).__name__, message=summary)


__all__ = ["DEFAULT_STOP_GRACE", "crashed", "run_task", "started"]
