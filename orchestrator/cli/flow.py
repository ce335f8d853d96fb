"""``kestrel flow ...``: validate flows (and, with the next issues, test and deploy them)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orchestrator.cli.errors import EXIT_FAILED
from orchestrator.flows.loader import find_flow_files, validate_source


@click.group("flow")
def flow_group() -> None:
    """Work with flow files."""


@flow_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Validate flow files (directories are searched for .yaml and .yml files).

    Prints one line per valid file; each problem goes to stderr as ``file:line:col: message``.
    Exits 1 when any file has a problem.
    """
    files = find_flow_files(paths)
    if not files:
        click.echo("error: no flow files found in " + ", ".join(map(str, paths)), err=True)
        sys.exit(EXIT_FAILED)
    failed = 0
    for file in files:
        try:
            source = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(f"{file}:1:1: cannot read: {exc}", err=True)
            failed += 1
            continue
        problems = validate_source(source, str(file))
        for problem in problems:
            click.echo(str(problem), err=True)
        if problems:
            failed += 1
        else:
            click.echo(f"{file}: valid")
    if failed:
        click.echo(f"{failed} of {len(files)} flow file(s) invalid", err=True)
        sys.exit(EXIT_FAILED)


def _register() -> None:
    from orchestrator.cli.testrun import test_command

    flow_group.add_command(test_command)


_register()
