"""``kestrel stats``: executions per state over time, durations and failing flows."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from orchestrator.cli.executions import STATE_STYLES, format_duration_ms
from orchestrator.cli.options import age, config_option
from orchestrator.models.state import StateType
from orchestrator.repository import FailingFlow, FlowDurations, Repositories, StateBucket
from orchestrator.repository.stats import auto_interval
from orchestrator.settings import load_settings

PERCENTS = (50.0, 95.0, 99.0)


@click.command("stats")
@click.option(
    "--since",
    callback=age,
    metavar="DURATION",
    default="7d",
    show_default=True,
    help="Period: 12h, 7d ...",
)
@click.option(
    "--interval",
    callback=age,
    metavar="DURATION",
    help="Row size of the per-state table (default: auto).",
)
@click.option("--namespace", "-n", help="This namespace and the ones under it.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@config_option
def stats_command(
    since: timedelta,
    interval: timedelta | None,
    namespace: str | None,
    top: int,
    as_json: bool,
    config: Path | None,
) -> None:
    """Print dashboard figures: executions per state, durations, failing flows."""
    end = datetime.now(UTC)
    start = end - since
    step = interval or auto_interval(since)
    with Repositories.from_settings(load_settings(config)) as repositories:
        stats = repositories.stats
        buckets = stats.executions_per_state(start, end, step, namespace=namespace)
        durations = stats.duration_percentiles(
            start, end, percents=PERCENTS, size=top, namespace=namespace
        )
        failing = stats.top_failing_flows(start, end, size=top, namespace=namespace)
    if as_json:
        sys.stdout.write(json.dumps(_json(buckets, durations, failing), indent=2) + "\n")
        return
    console = Console(highlight=False)
    console.print(_state_table(buckets, step))
    console.print(_duration_table(durations))
    console.print(_failing_table(failing))


def _json(
    buckets: list[StateBucket], durations: list[FlowDurations], failing: list[FailingFlow]
) -> dict[str, Any]:
    return {
        "executionsPerState": [
            {"start": b.start.isoformat(), "counts": {s.value: n for s, n in b.counts.items()}}
            for b in buckets
        ],
        "durations": [
            {
                "namespace": d.namespace,
                "flowId": d.flow_id,
                "count": d.count,
                "averageMs": d.average,
                "percentilesMs": {str(p): v for p, v in d.percentiles.items()},
            }
            for d in durations
        ],
        "topFailingFlows": [
            {"namespace": f.namespace, "flowId": f.flow_id, "failed": f.failed, "total": f.total}
            for f in failing
        ],
    }


def _state_table(buckets: list[StateBucket], step: timedelta) -> Table:
    states = [s for s in StateType if any(b.counts.get(s) for b in buckets)]
    table = Table(title="Executions per state", header_style="bold", title_justify="left")
    table.add_column("from")
    for state in states:
        style = STATE_STYLES.get(state, "")
        table.add_column(f"[{style}]{state.value}[/{style}]" if style else state.value)
    table.add_column("total", justify="right")
    layout = "%Y-%m-%d" if step >= timedelta(days=1) else "%Y-%m-%d %H:%M"
    for bucket in buckets:
        cells = [str(bucket.counts.get(state, 0) or "") for state in states]
        table.add_row(bucket.start.astimezone().strftime(layout), *cells, str(bucket.total))
    return table


def _duration_table(durations: list[FlowDurations]) -> Table:
    table = Table(title="Durations of ended executions", header_style="bold", title_justify="left")
    for column in ("flow", "executions", "average", *(f"p{p:g}" for p in PERCENTS)):
        table.add_column(column, justify="left" if column == "flow" else "right")
    for item in durations:
        table.add_row(
            f"{item.namespace}.{item.flow_id}",
            str(item.count),
            format_duration_ms(item.average),
            *(format_duration_ms(item.percentiles.get(p)) for p in PERCENTS),
        )
    return table


def _failing_table(failing: list[FailingFlow]) -> Table:
    table = Table(title="Top failing flows", header_style="bold", title_justify="left")
    for column in ("flow", "failed", "executions", "failure rate"):
        table.add_column(column, justify="left" if column == "flow" else "right")
    for item in failing:
        table.add_row(
            f"{item.namespace}.{item.flow_id}",
            f"[red]{item.failed}[/red]",
            str(item.total),
            f"{item.failure_rate:.0%}",
        )
    return table
