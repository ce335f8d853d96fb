"""Command groups that import a command's module only when that command runs.

``kestrel --help`` used to import every service (Kafka, Elasticsearch, the engine, the
webserver): 1.4 s before printing a line. A `LazyGroup` knows its subcommands by name,
import path and one-line help, so listing them imports nothing, and ``kestrel flow
validate`` imports what validation needs and no more. The one-line helps are checked
against the commands' own by tests/unit/test_cli_lazy.py, so they cannot drift.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click

from orchestrator.cli.errors import KestrelGroup


@dataclass(frozen=True)
class LazyCommand:
    """A subcommand known by where it lives (``"package.module:attribute"``) and its help."""

    target: str
    short_help: str

    def load(self) -> click.Command:
        """Import the command's module and return the command."""
        module_name, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyGroup(KestrelGroup):
    """A `KestrelGroup` whose ``lazy_commands`` are imported on first use."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, LazyCommand] = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand's name, loaded or not, sorted."""
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The subcommand ``cmd_name``, importing it the first time."""
        command = self.commands.get(cmd_name)
        if command is not None:
            return command
        lazy = self.lazy_commands.get(cmd_name)
        if lazy is None:
            return None
        command = lazy.load()
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands with their one-line help, without importing any."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                # A stand-in command truncates the help exactly as click does.
                stand_in = click.Command(name, help=self.lazy_commands[name].short_help)
                rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
