"""``kestrel execution run|kill|resume|restart``: commands sent to executions over Kafka."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.checks import Action, latest_execution, refusal
from orchestrator.cli.context import settings_from
from orchestrator.cli.errors import EXIT_FAILED, EXIT_INVALID
from orchestrator.cli.follow import ExecutionFollower, FollowTimeoutError
from orchestrator.cli.output import LogPrinter, print_execution, print_execution_json
from orchestrator.cli.testrun import parse_input_options, undeclared_input
from orchestrator.kafka import TOPICS, KafkaProducer, read_topic_to_end
from orchestrator.models.execution import new_id
from orchestrator.models.flow import Flow
from orchestrator.models.inputs import InputValueError
from orchestrator.models.messages import (
    CreateExecution,
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
    with KafkaProducer(settings) as producer:
        producer.send(TOPICS.execution_commands, command.execution_id, command)
        producer.flush()


def deployed_flow(settings: KestrelSettings, namespace: str, flow_id: str) -> Flow | None:
    """The latest deployed revision of a flow, or None."""
    record = read_topic_to_end(settings, TOPICS.flows).get(f"{namespace}/{flow_id}")
    if record is None or record.deleted:
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
    from executor.engine.inputs import typed_inputs

    flow = deployed_flow(settings, namespace, flow_id)
    if flow is None:
        click.echo(f"error: no flow {namespace}.{flow_id} is deployed", err=True)
        return EXIT_INVALID
    unknown = undeclared_input(flow, inputs)
    if unknown is not None:
        click.echo(f"error: {unknown}", err=True)
        return EXIT_INVALID
    try:
        typed_inputs(flow, inputs)
    except InputValueError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_INVALID
    execution_id = new_id()
    create = CreateExecution(
        execution_id=execution_id, namespace=namespace, flow_id=flow_id, inputs=inputs
    )
    if not wait:
        send_command(settings, create)
        click.echo(f'{{"id": "{execution_id}"}}' if as_json else execution_id)
        return 0
    follower = ExecutionFollower(settings, execution_id)
    try:
        send_command(settings, create)
        printer = LogPrinter(sys.stderr if as_json else sys.stdout)
        try:
            execution = follower.wait(printer, timeout)
        except FollowTimeoutError as exc:
            click.echo(f"error: {exc}", err=True)
            return EXIT_FAILED
    finally:
        follower.close()
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
    execution = latest_execution(settings, command.execution_id)
    reason = refusal(action, command.execution_id, execution)
    if reason is not None:
        click.echo(f"error: {reason}", err=True)
        sys.exit(EXIT_FAILED)
    assert execution is not None  # refusal() said why otherwise
    send_command(settings, command)
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


CONTROL_COMMANDS = [run_command, kill_command, resume_command, restart_command]
