"""The ``kestrel`` command line."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import click

from orchestrator.cli.errors import KestrelGroup
from orchestrator.cli.flow import flow_group


def _version() -> str:
    try:
        return version("kestrelflow")
    except PackageNotFoundError:
        return "unknown"


@click.group(cls=KestrelGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="kestrel")
def cli() -> None:
    """Kestrel: a Kafka-native workflow orchestrator."""


cli.add_command(flow_group)


def main() -> None:
    """Entry point of the ``kestrel`` console script."""
    cli()
