"""How the CLI prints logs and executions."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from rich.console import Console
from rich.table import Table

from orchestrator.models.execution import Execution
from orchestrator.models.messages import LogEntry
from orchestrator.models.state import StateType

_LEVEL_STYLES = {
    "TRACE": "dim",
    "DEBUG": "dim",
    "INFO": "cyan",
    "WARN": "yellow",
    "ERROR": "bold red",
}
_STATE_STYLES = {
    StateType.SUCCESS: "green",
    StateType.WARNING: "yellow",
    StateType.FAILED: "red",
    StateType.KILLED: "red",
    StateType.PAUSED: "magenta",
}


class LogPrinter:
    """Prints log lines as they arrive: time, level, task, message."""

    def __init__(self, stream: TextIO) -> None:
        """Print to ``stream`` (stderr when stdout carries JSON)."""
        self._console = Console(file=stream, highlight=False, soft_wrap=True)

    def __call__(self, entry: LogEntry) -> None:
        """Print one log line."""
        level = entry.level.value
        where = entry.task_id or "execution"
        stamp = entry.timestamp.strftime("%H:%M:%S.%f")[:-3]
        style = _LEVEL_STYLES.get(level, "")
        self._console.print(
            f"[dim]{stamp}[/dim] [{style}]{level:<5}[/{style}] [bold]{where}[/bold] ",
            end="",
        )
        self._console.out(entry.message, highlight=False)


def print_execution_json(execution: Execution, stream: TextIO | None = None) -> None:
    """Print the execution as JSON with Kestra's field names."""
    out = stream or sys.stdout
    out.write(json.dumps(execution.to_json_dict(), indent=2, default=str) + "\n")
    out.flush()


def print_execution(execution: Execution, stream: TextIO | None = None) -> None:
    """Print a summary of the execution and a table of its task runs."""
    console = Console(file=stream or sys.stdout, highlight=False)
    state = execution.state.current
    style = _STATE_STYLES.get(state, "")
    duration = execution.state.duration
    took = f" in {duration.total_seconds():.2f}s" if duration else ""
    console.print(
        f"Execution [bold]{execution.id}[/bold] of {execution.namespace}.{execution.flow_id} "
        f"ended [{style}]{state.value}[/{style}]{took}",
        soft_wrap=True,
    )
    table = Table(show_header=True, header_style="bold")
    for column in ("task", "value", "state", "attempts", "outputs"):
        table.add_column(column)
    for run in execution.task_run_list:
        run_style = _STATE_STYLES.get(run.state.current, "")
        outputs = json.dumps(run.outputs, default=str) if run.outputs else ""
        table.add_row(
            run.task_id,
            run.value or "",
            f"[{run_style}]{run.state.current.value}[/{run_style}]",
            str(len(run.attempts)),
            outputs if len(outputs) <= 80 else outputs[:77] + "...",
        )
    console.print(table)
    if execution.outputs:
        console.print("Flow outputs: " + json.dumps(execution.outputs, default=str))
