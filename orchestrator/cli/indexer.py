"""``kestrel indexer``: run the indexer, rebuild its indices, purge old daily indices."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from rich.table import Table

from orchestrator.cli.logsetup import log_format_option
from orchestrator.cli.management import management_port_option, start_service_command
from orchestrator.cli.options import age, config_option
from orchestrator.cli.services import run_services
from orchestrator.repository import make_client, names_for
from orchestrator.settings import KestrelSettings, load_settings

if TYPE_CHECKING:
    from indexer.rebuild import RebuildReport


def _settings(ctx: click.Context, config: Path | None) -> KestrelSettings:
    """Settings from the subcommand's ``--config``, else the group's."""
    parent = ctx.parent.params.get("config") if ctx.parent is not None else None
    return load_settings(config or parent)


@click.group("indexer", invoke_without_command=True)
@config_option
@click.option("--instance-id", help="Stable id of this indexer (static group membership).")
@management_port_option
@click.option("--verbose", "-v", is_flag=True, help="Debug logging.")
@log_format_option
@click.pass_context
def indexer_group(
    ctx: click.Context,
    config: Path | None,
    instance_id: str | None,
    management_port: int | None,
    verbose: bool,
    log_format: str,
) -> None:
    """Run the indexer: mirror Kafka into Elasticsearch until Ctrl-C.

    The subcommands manage its indices instead.
    """
    if ctx.invoked_subcommand is not None:
        return
    from indexer.service import Indexer

    settings, health, management = start_service_command(
        load_settings(config), management_port, verbose, log_format
    )
    service = Indexer(settings, instance_id, probe=health.probe("indexer"))
    run_services([service], management)


class _RichProgress:
    """Draws one bar per rebuilt source."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def started(self, source: str, total: int) -> None:
        self._tasks[source] = self._progress.add_task(source, total=max(total, 1))

    def advanced(self, source: str, records: int) -> None:
        self._progress.advance(self._tasks[source], records)

    def finished(self, source: str) -> None:
        task = self._tasks[source]
        self._progress.update(task, completed=self._progress.tasks[task].total)


@indexer_group.command("rebuild")
@click.option(
    "--index",
    "indices",
    multiple=True,
    help="flows, flow-revisions, executions (with taskruns) or triggers; default: all.",
)
@config_option
@click.pass_context
def rebuild_command(ctx: click.Context, indices: tuple[str, ...], config: Path | None) -> None:
    """Re-create indices from the compacted topics, while the indexer keeps running.

    Each index is filled anew from Kafka into a new physical index, then its alias is
    swapped atomically; the old index is deleted.
    """
    from indexer.rebuild import Rebuilder, sources_for

    settings = _settings(ctx, config)
    sources = sources_for(indices, names_for(settings))
    console = Console(stderr=True)
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        reports = Rebuilder(settings, progress=_RichProgress(progress)).rebuild(sources)
    Console(highlight=False).print(_report_table(reports))


def _report_table(reports: list[RebuildReport]) -> Table:
    table = Table(title="Rebuilt", header_style="bold", title_justify="left")
    for column in ("source", "records", "documents", "refused", "new indices", "seconds"):
        table.add_column(column, justify="left" if column in ("source", "new indices") else "right")
    for report in reports:
        table.add_row(
            report.source,
            str(report.records),
            str(report.written),
            str(report.rejected),
            ", ".join(report.indices.values()),
            f"{report.seconds:.1f}",
        )
    return table


@indexer_group.command("purge")
@click.option(
    "--older-than",
    callback=age,
    metavar="DURATION",
    required=True,
    help="Delete daily indices older than this: 30d.",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@config_option
@click.pass_context
def purge_command(
    ctx: click.Context, older_than: timedelta, dry_run: bool, config: Path | None
) -> None:
    """Delete daily log and metric indices whose day is older than --older-than."""
    from indexer.retention import plan_purge, purge

    settings = _settings(ctx, config)
    client = make_client(settings)
    try:
        plan = plan_purge(client, names_for(settings), older_than)
        deleted = plan.expired if dry_run else purge(client, plan)
    finally:
        client.close()
    verb = "would delete" if dry_run else "deleted"
    for index in deleted:
        click.echo(f"{verb} {index}")
    click.echo(
        f"{len(deleted)} index(es) {verb}, {len(plan.kept)} kept "
        f"(cut-off {plan.cutoff:%Y-%m-%d %H:%M} UTC)",
        err=True,
    )
