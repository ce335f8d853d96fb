"""``kestrel topics create|describe``: Kestrel's topics as the registry declares them."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.context import settings_from
from orchestrator.cli.options import config_option
from orchestrator.kafka import ensure_topics


@click.group("topics")
def topics_group() -> None:
    """Create or describe Kestrel's topics."""


@topics_group.command("create")
@config_option
def topics_create_command(config: Path | None) -> None:
    """Create missing topics (idempotent)."""
    created = ensure_topics(settings_from(config))
    for name in created:
        click.echo(f"created {name}")
    if not created:
        click.echo("every topic exists")


@topics_group.command("describe")
@config_option
def topics_describe_command(config: Path | None) -> None:
    """Show every topic: partitions, cleanup policy, and differences from the registry."""
    from rich.console import Console
    from rich.table import Table

    from orchestrator.kafka import describe_topics

    table = Table("topic", "exists", "partitions", "cleanup.policy", "problems")
    for topic in describe_topics(settings_from(config)):
        table.add_row(
            topic.name,
            "yes" if topic.exists else "no",
            str(topic.partitions or ""),
            topic.configs.get("cleanup.policy", ""),
            "; ".join(topic.problems),
        )
    Console().print(table)
