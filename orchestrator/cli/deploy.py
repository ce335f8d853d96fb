"""``kestrel flow deploy``: validate flows and publish a new revision of each changed one."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from orchestrator.cli.context import settings_from
from orchestrator.cli.errors import EXIT_FAILED
from orchestrator.control import TopicFlows, publish_flows
from orchestrator.flows import (
    FlowProblem,
    FlowValidationError,
    check_source,
    find_flow_files,
    read_flow_source,
)
from orchestrator.kafka import ensure_topics
from orchestrator.models.flow import Flow
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
    flows = check_files(paths, warn)
    ensure_topics(settings)
    by_name = {str(file): file for file in flows}
    published = publish_flows(
        settings, TopicFlows(settings), [(str(file), source) for file, (source, _) in flows.items()]
    )
    return [
        Deployed(by_name[each.name], each.namespace, each.flow_id, each.revision, each.changed)
        for each in published
    ]


def check_files(
    paths: list[Path], warn: Callable[[str], None] = lambda message: None
) -> dict[Path, tuple[str, Flow]]:
    """Check every flow file as ``flow validate`` does; return each file's source and flow.

    Every error of every file is collected before raising; warnings go to ``warn`` as
    ``file:line:col: warning: message``.

    Raises:
        FlowValidationError: with the errors of every invalid file.
    """
    flows: dict[Path, tuple[str, Flow]] = {}
    errors: list[FlowProblem] = []
    for file in find_flow_files(paths):
        try:
            source = read_flow_source(file)
        except FlowValidationError as exc:
            errors += exc.problems
            continue
        check = check_source(source, str(file))
        for problem in check.warnings:
            warn(str(problem))
        if check.flow is None:
            errors += check.errors
        else:
            flows[file] = (source, check.flow)
    if errors:
        raise FlowValidationError(errors)
    return flows


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def deploy_command(paths: tuple[Path, ...], config: Path | None) -> None:
    """Validate flows and publish a new revision of each one that changed.

    Exits 1 (publishing nothing) when a file has an error; a template that does not parse
    is printed as a warning and does not block the deployment.
    """
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
