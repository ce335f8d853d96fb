"""``kestrel flow deploy``: validate flows and publish a new revision of each changed one."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from orchestrator.cli.context import settings_from
from orchestrator.cli.errors import EXIT_FAILED
from orchestrator.flows import find_flow_files, parse_flow, validate_source
from orchestrator.kafka import TOPICS, KafkaProducer, ensure_topics, read_topic_to_end
from orchestrator.models.messages import FlowRecord
from orchestrator.settings import KestrelSettings


@dataclass(frozen=True)
class Deployed:
    """What deploying one file did."""

    file: Path
    namespace: str
    flow_id: str
    revision: int
    changed: bool


def deploy_files(
    settings: KestrelSettings,
    paths: list[Path],
    warn: Callable[[str], None] = lambda message: None,
) -> list[Deployed]:
    """Validate every file, then publish those whose source changed (all or nothing).

    A template that does not parse is reported through ``warn`` but does not block the
    deployment: as in Kestra, the task using it fails at run time, naming the property.

    Raises:
        FlowValidationError: a file is not a valid flow (nothing is published).
    """
    files = find_flow_files(paths)
    sources = {}
    for file in files:
        source = file.read_text(encoding="utf-8")
        parse_flow(source, str(file))  # raises FlowValidationError on structural problems
        for problem in validate_source(source, str(file)):
            warn(f"warning: {problem}")
        sources[file] = source
    ensure_topics(settings)
    current = read_topic_to_end(settings, TOPICS.flows)
    results = []
    with KafkaProducer(settings) as producer:
        for file, source in sources.items():
            flow = parse_flow(source, str(file))
            key = f"{flow.namespace}/{flow.id}"
            existing = current.get(key)
            if existing is not None and existing.source == source and not existing.deleted:
                results.append(Deployed(file, flow.namespace, flow.id, existing.revision, False))
                continue
            revision = existing.revision + 1 if existing is not None else 1
            parsed = flow.model_copy(update={"revision": revision}).to_json_dict()
            record = FlowRecord(
                namespace=flow.namespace, id=flow.id, revision=revision, source=source, flow=parsed
            )
            producer.send(TOPICS.flows, key, record)
            producer.send(TOPICS.flow_revisions, f"{key}/{revision}", record)
            current[key] = record
            results.append(Deployed(file, flow.namespace, flow.id, revision, True))
        producer.flush()
    return results


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def deploy_command(paths: tuple[Path, ...], config: Path | None) -> None:
    """Validate flows and publish a new revision of each one that changed."""
    from orchestrator.flows import FlowValidationError

    try:
        results = deploy_files(
            settings_from(config), list(paths), warn=lambda text: click.echo(text, err=True)
        )
    except FlowValidationError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(EXIT_FAILED)
    for each in results:
        what = "deployed" if each.changed else "unchanged"
        click.echo(f"{each.file}: {what} {each.namespace}.{each.flow_id} revision {each.revision}")
