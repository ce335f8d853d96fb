"""The commands that read what the indexer mirrored, and the indexer's own commands."""

from __future__ import annotations

import click

from orchestrator.cli.executions import execution_group
from orchestrator.cli.indexer import indexer_group
from orchestrator.cli.logs import logs_command
from orchestrator.cli.stats import stats_command

SEARCH_COMMANDS: tuple[click.Command, ...] = (
    execution_group,
    logs_command,
    stats_command,
    indexer_group,
)
"""Registered on ``kestrel`` by ``orchestrator.cli.main``."""
