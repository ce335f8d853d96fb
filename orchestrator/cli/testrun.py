"""``kestrel flow test``: run a flow in this process, without Kafka or Elasticsearch."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.errors import EXIT_FAILED, EXIT_INVALID
from orchestrator.cli.output import LogPrinter, print_execution, print_execution_json
from orchestrator.flows import (
    FlowValidationError,
    check_source,
    find_flow_files,
    load_flow_file,
    read_flow_source,
)
from orchestrator.local import FileFlows, InProcessRunner, RunTimeoutError
from orchestrator.models.execution import new_id
from orchestrator.models.flow import Flow
from orchestrator.models.inputs import InputValueError
from orchestrator.models.messages import CreateExecution
from orchestrator.templating import TemplateRenderer, envs_from_environ


def parse_input_options(pairs: tuple[str, ...]) -> dict[str, Any] | None:
    """Read ``--input k=v`` options; None when none were given.

    Raises:
        click.BadParameter: an option is not ``key=value``.
    """
    if not pairs:
        return None
    inputs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected key=value, got {pair!r}", param_hint="--input")
        inputs[key.strip()] = value
    return inputs


def undeclared_input(flow: Flow, inputs: dict[str, Any] | None) -> str | None:
    """Return the message for the first input ``flow`` does not declare, or None.

    The engine drops undeclared inputs silently (Kestra does too); on the command line a
    key nobody reads is a typo, so the CLI refuses it and names the declared inputs.
    """
    declared = [each.id for each in flow.inputs]
    for key in inputs or {}:
        if key not in declared:
            if not declared:
                return f"unknown input '{key}'; the flow declares no inputs"
            return f"unknown input '{key}'; the flow declares: {', '.join(declared)}"
    return None


def load_flows(
    file: Path, flows_dir: Path | None, warn: Callable[[str], None] = lambda text: None
) -> tuple[Flow, list[Flow]]:
    """Load the flow to run and the flows it may call as subflows.

    Warnings about ``file`` (templates that do not parse) go to ``warn``: they do not stop
    the run, the task using such a template fails.

    Raises:
        FlowValidationError: a flow file is invalid.
    """
    check = check_source(read_flow_source(file), str(file))
    for problem in check.warnings:
        warn(str(problem))
    if check.flow is None:
        raise FlowValidationError(check.errors)
    main = check.flow
    others = []
    if flows_dir is not None:
        for path in find_flow_files([flows_dir]):
            if path.resolve() != file.resolve():
                others.append(load_flow_file(path))
    return main, others


def secret_from_environment(name: str) -> str | None:
    """Secrets for ``secret('NAME')``: the environment variable ``SECRET_NAME``."""
    return os.environ.get(f"SECRET_{name}")


@click.command("test")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--input", "-i", "input_pairs", multiple=True, help="An input as key=value.")
@click.option(
    "--flows-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of other flows (for subflows).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the final execution as JSON.")
@click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
def test_command(
    file: Path,
    input_pairs: tuple[str, ...],
    flows_dir: Path | None,
    as_json: bool,
    timeout: float | None,
) -> None:
    """Run a flow in-process and print its final execution.

    Logs stream as they happen (to stderr with --json, whose stdout is only the JSON).
    Exits 0 when the execution ends SUCCESS or WARNING, 1 otherwise (or when it stays
    PAUSED), and 2 for invalid flows or inputs (an input the flow does not declare too).
    A template that does not parse is a warning: the run goes on and that task fails.
    """
    inputs = parse_input_options(input_pairs)
    try:
        flow, others = load_flows(file, flows_dir, warn=lambda text: click.echo(text, err=True))
    except FlowValidationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_INVALID)
    unknown = undeclared_input(flow, inputs)
    if unknown is not None:
        click.echo(f"error: {unknown}", err=True)
        sys.exit(EXIT_INVALID)
    if inputs is not None:
        from executor.engine.inputs import typed_inputs

        try:
            typed_inputs(flow, inputs)
        except InputValueError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INVALID)
    renderer = TemplateRenderer(
        secret_provider=secret_from_environment, envs=envs_from_environ(os.environ)
    )
    printer = LogPrinter(sys.stderr if as_json else sys.stdout)
    runner = InProcessRunner(FileFlows([flow, *others]), renderer, on_log=printer)
    create = CreateExecution(
        execution_id=new_id(), namespace=flow.namespace, flow_id=flow.id, inputs=inputs
    )
    try:
        execution = runner.run(create, timeout=timeout)
    except RunTimeoutError as exc:
        click.echo(f"error: {exc}", err=True)
        execution = exc.execution
    if as_json:
        print_execution_json(execution)
    else:
        print_execution(execution)
    sys.exit(0 if execution.state.current.is_success else EXIT_FAILED)
