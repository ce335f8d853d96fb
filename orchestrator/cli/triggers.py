"""``kestrel trigger list|enable|disable|unlock|backfill``: control the scheduler's triggers."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import click

from orchestrator.cli.context import settings_from
from orchestrator.cli.options import config_option, parse_labels
from orchestrator.cli.testrun import parse_input_options
from orchestrator.models.messages import TriggerState
from orchestrator.scheduler import client


@click.group("trigger")
def trigger_group() -> None:
    """List and control triggers (schedules, flow triggers, webhooks)."""


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


def backfill_progress(state: TriggerState) -> str:
    """``12/500 at 2024-01-01T12:00:00+00:00`` (paused, done) or ``-``."""
    progress = state.backfill
    if progress is None:
        return "-"
    remaining = _remaining(state)
    total = progress.fired + remaining
    where = "done" if progress.next_date is None else f"next {_when(progress.next_date)}"
    paused = ", paused" if progress.paused else ""
    return f"{progress.fired}/{total} ({where}{paused})"


def _remaining(state: TriggerState) -> int:
    from orchestrator.scheduler.cron import CronSchedule

    progress = state.backfill
    if progress is None or progress.next_date is None or state.fingerprint is None:
        return 0
    cron, zone, seconds = state.fingerprint.split("|")
    schedule = CronSchedule(cron, zone, seconds == "True")
    slots = schedule.slots(progress.next_date, progress.end)
    return 1 + len(slots)


@trigger_group.command("list")
@click.option("--namespace", help="Only this namespace and its children.")
@click.option("--json", "as_json", is_flag=True, help="One JSON state per line.")
@config_option
def list_command(namespace: str | None, as_json: bool, config: Path | None) -> None:
    """Show every trigger: next date, last fired, backfill progress, locked-by."""
    states = client.list_triggers(settings_from(config), namespace)
    if as_json:
        for state in states:
            click.echo(json.dumps(state.to_json_dict()))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("trigger", "type", "next date", "last fired", "backfill", "locked by", "status")
    for state in states:
        table.add_row(
            f"{state.namespace}.{state.flow_id}/{state.trigger_id}",
            (state.trigger_type or "-").rsplit(".", 1)[-1],
            _when(state.next_date),
            _when(state.last_date),
            backfill_progress(state),
            state.execution_id or "-",
            "disabled" if state.disabled else "enabled",
        )
    Console(width=200).print(table)
    if not states:
        click.echo("no triggers" + (f" in {namespace}" if namespace else ""))


_TRIGGER_ARGS = [
    click.argument("namespace"),
    click.argument("flow_id", metavar="FLOW"),
    click.argument("trigger_id", metavar="TRIGGER"),
]


def _with_trigger_args(command: Any) -> Any:
    for decorator in reversed(_TRIGGER_ARGS):
        command = decorator(command)
    return config_option(command)


@trigger_group.command("enable")
@_with_trigger_args
def enable_command(namespace: str, flow_id: str, trigger_id: str, config: Path | None) -> None:
    """Enable a trigger (missed slots follow its recoverMissedSchedules)."""
    client.set_enabled(settings_from(config), namespace, flow_id, trigger_id, True)
    click.echo(f"enabling {namespace}.{flow_id}/{trigger_id}")


@trigger_group.command("disable")
@_with_trigger_args
def disable_command(namespace: str, flow_id: str, trigger_id: str, config: Path | None) -> None:
    """Disable a trigger."""
    client.set_enabled(settings_from(config), namespace, flow_id, trigger_id, False)
    click.echo(f"disabling {namespace}.{flow_id}/{trigger_id}")


@trigger_group.command("unlock")
@_with_trigger_args
def unlock_command(namespace: str, flow_id: str, trigger_id: str, config: Path | None) -> None:
    """Release a trigger locked to an execution, so that its next slot may fire."""
    client.unlock(settings_from(config), namespace, flow_id, trigger_id)
    click.echo(f"unlocking {namespace}.{flow_id}/{trigger_id}")


class _BackfillGroup(click.Group):
    """``backfill NS FLOW TRIGGER --start ...`` starts one; ``backfill pause ...`` etc."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["start", *args]
        return super().parse_args(ctx, args)


@trigger_group.group("backfill", cls=_BackfillGroup)
def backfill_group() -> None:
    """Start (``backfill NS FLOW TRIGGER --start ...``), pause, resume or delete a backfill."""


@backfill_group.command("start")
@_with_trigger_args
@click.option("--start", "start", type=click.DateTime(), required=True, help="First date (UTC).")
@click.option("--end", "end", type=click.DateTime(), help="Last date (UTC); default: now.")
@click.option("--input", "input_pairs", multiple=True, metavar="KEY=VALUE", help="An input.")
@click.option("--label", "label_pairs", multiple=True, metavar="KEY=VALUE", help="A label.")
def backfill_start_command(
    namespace: str,
    flow_id: str,
    trigger_id: str,
    config: Path | None,
    start: datetime,
    end: datetime | None,
    input_pairs: tuple[str, ...],
    label_pairs: tuple[str, ...],
) -> None:
    """Fire every slot of a schedule from --start to --end, once each, in order."""
    client.start_backfill(
        settings_from(config),
        namespace,
        flow_id,
        trigger_id,
        start=start,
        end=end,
        inputs=parse_input_options(input_pairs) or {},
        labels=dict(parse_labels(label_pairs)),
    )
    click.echo(f"backfill of {namespace}.{flow_id}/{trigger_id} requested")


def _change(action: Literal["pause", "resume", "delete"], help_text: str) -> click.Command:
    @_with_trigger_args
    def command(namespace: str, flow_id: str, trigger_id: str, config: Path | None) -> None:
        client.change_backfill(settings_from(config), namespace, flow_id, trigger_id, action)
        click.echo(f"backfill of {namespace}.{flow_id}/{trigger_id}: {action} requested")

    return click.command(action, help=help_text)(command)


backfill_group.add_command(_change("pause", "Pause a backfill (it resumes where it stopped)."))
backfill_group.add_command(_change("resume", "Resume a paused backfill."))
backfill_group.add_command(
    _change("delete", "Delete a backfill (the slots already fired are never replayed).")
)
