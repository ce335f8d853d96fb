"""``kestrel logs ID [--follow]``: an execution's log lines, from Elasticsearch then Kafka."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from orchestrator.cli.logtail import LogTail
from orchestrator.cli.options import config_option
from orchestrator.cli.output import LogPrinter
from orchestrator.models.messages import LogEntry
from orchestrator.repository import LogFilter, NotFoundError, Repositories
from orchestrator.settings import load_settings
from orchestrator.tasks.base import LogLevel


def _json_printer(entry: LogEntry) -> None:
    sys.stdout.write(json.dumps(entry.to_json_dict()) + "\n")
    sys.stdout.flush()


@click.command("logs")
@click.argument("execution_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until it ends.")
@click.option(
    "--level",
    type=click.Choice([level.value for level in LogLevel], case_sensitive=False),
    help="This level and the more severe ones.",
)
@click.option("--task", "task_id", help="Lines of this task only.")
@click.option("--text", help="Lines containing every word of this text.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@config_option
def logs_command(
    execution_id: str,
    follow: bool,
    level: str | None,
    task_id: str | None,
    text: str | None,
    as_json: bool,
    config: Path | None,
) -> None:
    """Print the log lines of an execution (history from Elasticsearch).

    With --follow, new lines are then read from Kafka as they are written, until the
    execution ends (or Ctrl-C).
    """
    settings = load_settings(config)
    minimum = LogLevel(level.upper()) if level else None
    criteria = LogFilter(execution_id=execution_id, task_id=task_id, min_level=minimum, text=text)
    printer: Callable[[LogEntry], None] = _json_printer if as_json else LogPrinter(sys.stdout)
    seen: set[tuple[int, int]] = set()
    with Repositories.from_settings(settings) as repositories:
        execution = repositories.executions.get(execution_id)
        for hit in repositories.logs.iterate(criteria):
            printer(hit.entry)
            seen.add((hit.partition, hit.offset))
    if not follow:
        if execution is None and not seen:
            raise NotFoundError(
                f"no execution {execution_id} and no log line of it in Elasticsearch "
                "(is the indexer running? `kestrel logs --follow` reads Kafka)"
            )
        return

    def accept(entry: LogEntry) -> bool:
        if minimum is not None and entry.level.rank < minimum.rank:
            return False
        if task_id is not None and entry.task_id != task_id:
            return False
        words = (text or "").lower().split()
        return all(word in entry.message.lower() for word in words)

    started = execution.state.start_date if execution is not None else None
    with LogTail(settings, execution_id, started) as tail:
        last = tail.follow(printer, seen=seen, accept=accept)
    if last is not None and not as_json:
        click.echo(f"execution {execution_id} ended {last.state.current.value}", err=True)
