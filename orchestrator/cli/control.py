"""``kestrel execution run|kill|resume|restart``: the control plane, from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.context import settings_from
from orchestrator.cli.errors import EXIT_FAILED, EXIT_INVALID
from orchestrator.cli.follow import ExecutionFollower, FollowTimeoutError
from orchestrator.cli.output import LogPrinter, print_execution, print_execution_json
from orchestrator.cli.testrun import parse_input_options
from orchestrator.control import (
    Action,
    ExecutionControl,
    ExecutionNotFoundError,
    FlowNotFoundError,
    InvalidInputsError,
    InvalidStateError,
    TopicFlows,
    live_flow,
)
from orchestrator.models.flow import Flow
from orchestrator.models.messages import (
    ExecutionCommand,
    KillExecution,
    RestartExecution,
    ResumeExecution,
)
from orchestrator.settings import KestrelSettings

_config_option = click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="KESTREL_CONFIG",
)


def send_command(settings: KestrelSettings, command: ExecutionCommand) -> None:
    """Publish one command to its execution's key."""
    control = ExecutionControl(settings)
    try:
        control.send(command)
    finally:
        control.close()


def deployed_flow(settings: KestrelSettings, namespace: str, flow_id: str) -> Flow | None:
    """The latest deployed revision of a flow, or None."""
    try:
        record = live_flow(TopicFlows(settings), namespace, flow_id)
    except FlowNotFoundError:
        return None
    return Flow.model_validate(record.flow)


def run_execution(
    settings: KestrelSettings,
    namespace: str,
    flow_id: str,
    inputs: dict[str, Any] | None,
    *,
    wait: bool,
    as_json: bool,
    timeout: float | None = None,
) -> int:
    """Create an execution (and with ``wait`` follow it); return the CLI exit code."""
    control = ExecutionControl(settings)
    try:
        try:
            create = control.prepare(namespace, flow_id, inputs)
        except (FlowNotFoundError, InvalidInputsError, InvalidStateError) as exc:
            click.echo(f"error: {exc}", err=True)
            return EXIT_INVALID
        execution_id = create.execution_id
        if not wait:
            control.send(create)
            click.echo(f'{{"id": "{execution_id}"}}' if as_json else execution_id)
            return 0
        follower = ExecutionFollower(settings, execution_id)
        try:
            control.send(create)
            printer = LogPrinter(sys.stderr if as_json else sys.stdout)
            try:
                execution = follower.wait(printer, timeout)
            except FollowTimeoutError as exc:
                click.echo(f"error: {exc}", err=True)
                return EXIT_FAILED
        finally:
            follower.close()
    finally:
        control.close()
    (print_execution_json if as_json else print_execution)(execution)
    return 0 if execution.state.current.is_success else EXIT_FAILED


@click.command("run")
@click.argument("namespace")
@click.argument("flow_id")
@click.option("--input", "-i", "input_pairs", multiple=True, help="An input as key=value.")
@click.option("--wait", is_flag=True, help="Follow the execution, streaming its logs.")
@click.option("--json", "as_json", is_flag=True, help="Print the final execution as JSON.")
@click.option("--timeout", type=float, help="With --wait: give up after this many seconds.")
@_config_option
def run_command(
    namespace: str,
    flow_id: str,
    input_pairs: tuple[str, ...],
    wait: bool,
    as_json: bool,
    timeout: float | None,
    config: Path | None,
) -> None:
    """Create an execution of a deployed flow (exit codes as `kestrel flow test`)."""
    inputs = parse_input_options(input_pairs)
    code = run_execution(
        settings_from(config),
        namespace,
        flow_id,
        inputs,
        wait=wait,
        as_json=as_json,
        timeout=timeout,
    )
    sys.exit(code)


def send_checked(settings: KestrelSettings, action: Action, command: ExecutionCommand) -> None:
    """Send ``command`` if the execution's latest snapshot allows ``action``; else exit 1."""
    control = ExecutionControl(settings)
    try:
        if isinstance(command, KillExecution):
            execution = control.kill(command.execution_id)
        elif isinstance(command, ResumeExecution):
            execution = control.resume(command.execution_id, command.inputs)
        else:
            execution = control.restart(command.execution_id)
    except (ExecutionNotFoundError, InvalidStateError, InvalidInputsError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    finally:
        control.close()
    click.echo(
        f"{action.value} sent to {command.execution_id} (it was {execution.state.current.value})"
    )


@click.command("kill")
@click.argument("execution_id")
@_config_option
def kill_command(execution_id: str, config: Path | None) -> None:
    """Kill an execution: running task runs are stopped, nothing new starts.

    Exits 1 when the execution does not exist or has already ended.
    """
    send_checked(settings_from(config), Action.KILL, KillExecution(execution_id=execution_id))


@click.command("resume")
@click.argument("execution_id")
@click.option("--input", "-i", "input_pairs", multiple=True, help="An onResume input.")
@_config_option
def resume_command(execution_id: str, input_pairs: tuple[str, ...], config: Path | None) -> None:
    """Resume a paused execution (with the Pause's onResume inputs).

    Exits 1 when the execution does not exist or is not PAUSED (or QUEUED).
    """
    inputs = parse_input_options(input_pairs) or {}
    command = ResumeExecution(execution_id=execution_id, inputs=inputs)
    send_checked(settings_from(config), Action.RESUME, command)


@click.command("restart")
@click.argument("execution_id")
@_config_option
def restart_command(execution_id: str, config: Path | None) -> None:
    """Restart a failed execution from its failed task runs.

    Exits 1 when the execution does not exist, has not ended, or has nothing to restart.
    """
    command = RestartExecution(execution_id=execution_id)
    send_checked(settings_from(config), Action.RESTART, command)
