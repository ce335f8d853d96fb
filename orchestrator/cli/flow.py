"""``kestrel flow ...``: validate, test and deploy flow files.

The three commands give one verdict per file (`orchestrator.flows.check_source`): errors
(YAML, unknown types or properties, wrong types...) make a file unusable; a template that
does not parse is a warning, printed as ``file:line:col: warning: ...`` by all three, which
blocks neither a deploy nor a run: the task using it fails when it runs, naming the property.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orchestrator.cli.errors import EXIT_FAILED
from orchestrator.cli.lazy import LazyCommand, LazyGroup
from orchestrator.flows import FlowValidationError, check_source, find_flow_files, read_flow_source


@click.group(
    "flow",
    cls=LazyGroup,
    lazy_commands={
        "deploy": LazyCommand(
            "orchestrator.cli.deploy:deploy_command",
            "Validate flows and publish a new revision of each one that changed.",
        ),
        "test": LazyCommand(
            "orchestrator.cli.testrun:test_command",
            "Run a flow in-process and print its final execution.",
        ),
    },
)
def flow_group() -> None:
    """Work with flow files."""


@flow_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings (broken templates) as errors.")
def validate_command(paths: tuple[Path, ...], strict: bool) -> None:
    """Validate flow files (directories are searched for .yaml and .yml files).

    Prints one line per valid file; each problem goes to stderr as ``file:line:col: message``
    (``file:line:col: warning: message`` for a template that does not parse). Exits 1 when
    any file has an error, or a warning with --strict; warnings alone exit 0.
    """
    files = find_flow_files(paths)
    if not files:
        click.echo("error: no flow files found in " + ", ".join(map(str, paths)), err=True)
        sys.exit(EXIT_FAILED)
    failed = 0
    for file in files:
        try:
            check = check_source(read_flow_source(file), str(file))
        except FlowValidationError as exc:
            check_problems, invalid = exc.problems, True
        else:
            check_problems = check.problems
            invalid = bool(check.errors) or (strict and bool(check.warnings))
        for problem in check_problems:
            click.echo(str(problem), err=True)
        if invalid:
            failed += 1
        else:
            warned = len(check_problems)
            click.echo(f"{file}: valid" + (f" ({warned} warning(s))" if warned else ""))
    if failed:
        click.echo(f"{failed} of {len(files)} flow file(s) invalid", err=True)
        sys.exit(EXIT_FAILED)
