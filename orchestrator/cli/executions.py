"""``kestrel execution``: the group of execution commands, and ``execution list``.

``list`` searches what the indexer mirrored into Elasticsearch; the commands that act on
executions (run, kill, resume, restart) join this group from their own module.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from orchestrator.cli.lazy import LazyCommand, LazyGroup
from orchestrator.cli.options import age, config_option, parse_labels
from orchestrator.models.state import StateType
from orchestrator.repository import ExecutionFilter, ExecutionSummary, Page, Repositories
from orchestrator.settings import load_settings

STATE_STYLES = {
    StateType.SUCCESS: "green",
    StateType.WARNING: "yellow",
    StateType.FAILED: "red",
    StateType.KILLED: "red",
    StateType.RUNNING: "cyan",
    StateType.PAUSED: "magenta",
}


def format_duration_ms(value: float | None) -> str:
    """``850ms``, ``12.3s``, ``4m05s``, ``2h03m``; empty for None."""
    if value is None:
        return ""
    if value < 1000:
        return f"{value:.0f}ms"
    seconds = value / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, second = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{second:02d}s"
    hours, minute = divmod(minutes, 60)
    return f"{hours}h{minute:02d}m"


def format_time(value: datetime | None) -> str:
    """Local time ``YYYY-MM-DD HH:MM:SS``; empty for None."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else ""


_CONTROL = "orchestrator.cli.control"


@click.group(
    "execution",
    cls=LazyGroup,
    lazy_commands={
        "kill": LazyCommand(
            f"{_CONTROL}:kill_command",
            "Kill an execution: running task runs are stopped, nothing new starts.",
        ),
        "restart": LazyCommand(
            f"{_CONTROL}:restart_command", "Restart a failed execution from its failed task runs."
        ),
        "resume": LazyCommand(
            f"{_CONTROL}:resume_command",
            "Resume a paused execution (with the Pause's onResume inputs).",
        ),
        "run": LazyCommand(
            f"{_CONTROL}:run_command",
            "Create an execution of a deployed flow (exit codes as `kestrel flow test`).",
        ),
    },
)
def execution_group() -> None:
    """Find, run and control executions."""


@execution_group.command("list")
@click.option("--namespace", "-n", help="This namespace and the ones under it.")
@click.option("--flow", "flow_id", help="Executions of this flow id.")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([state.value for state in StateType], case_sensitive=False),
    help="Current state (repeat for several).",
)
@click.option(
    "--since", callback=age, metavar="DURATION", help="Started within this duration: 30m, 12h, 7d."
)
@click.option("--label", "labels", multiple=True, help="A label as key=value (repeatable).")
@click.option("--text", "-q", help="Id, or text in the namespace, flow id or label values.")
@click.option("--limit", default=25, show_default=True, type=click.IntRange(1, 1000))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1))
@click.option("--sort", default="start:desc", show_default=True, help="KEY[:asc|:desc].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@config_option
def list_command(
    namespace: str | None,
    flow_id: str | None,
    states: tuple[str, ...],
    since: timedelta | None,
    labels: tuple[str, ...],
    text: str | None,
    limit: int,
    page: int,
    sort: str,
    as_json: bool,
    config: Path | None,
) -> None:
    """List executions, newest first, from Elasticsearch."""
    criteria = ExecutionFilter(
        namespace=namespace,
        flow_id=flow_id,
        states=tuple(StateType(state.upper()) for state in states),
        labels=parse_labels(labels),
        start=datetime.now(UTC) - since if since else None,
        text=text,
    )
    with Repositories.from_settings(load_settings(config)) as repositories:
        found = repositories.executions.find(criteria, page=page, size=limit, sort=sort)
    if as_json:
        document = {
            "total": found.total,
            "page": found.page,
            "size": found.size,
            "results": [item.to_json_dict() for item in found.items],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    print_executions(found)


def print_executions(found: Page[ExecutionSummary], console: Console | None = None) -> None:
    """Print a page of executions as a table (labels too when the terminal is wide)."""
    out = console or Console(highlight=False)
    with_labels = out.width >= 110
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("id", no_wrap=True, min_width=22)
    # Ids are copied and pasted: never fold them; a narrow terminal wraps the whole line.
    table.add_column("flow", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("started", no_wrap=True, min_width=19)
    table.add_column("duration", no_wrap=True, justify="right")
    if with_labels:
        table.add_column("labels", overflow="fold")
    for item in found.items:
        style = STATE_STYLES.get(item.state, "")
        row = [
            item.id,
            f"{item.namespace}.{item.flow_id}",
            f"[{style}]{item.state.value}[/{style}]" if style else item.state.value,
            format_time(item.start_date),
            format_duration_ms(item.duration_ms),
        ]
        if with_labels:
            row.append(" ".join(f"{key}={value}" for key, value in item.labels.items()))
        table.add_row(*row)
    # Wider than the terminal when it must be: rich would otherwise squeeze the flow column.
    width = out.width
    out.width = max(
        width, Measurement.get(out, out.options.update(max_width=10_000), table).maximum
    )
    try:
        out.print(table, crop=False)
    finally:
        out.width = width
    first = (found.page - 1) * found.size + 1
    shown = f"{first}-{first + len(found.items) - 1}" if found.items else "0"
    out.print(f"[dim]{shown} of {found.total} execution(s)[/dim]")
