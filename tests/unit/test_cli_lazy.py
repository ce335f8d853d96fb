"""The CLI imports a command's module only when it runs, and lists helps that match."""

import subprocess
import sys

import click
import pytest

from orchestrator.cli.lazy import LazyCommand, LazyGroup
from orchestrator.cli.main import cli


def _lazy_commands(group: click.Group, path: str = "kestrel") -> list[tuple[str, LazyCommand]]:
    found = []
    if isinstance(group, LazyGroup):
        for name, lazy in group.lazy_commands.items():
            found.append((f"{path} {name}", lazy))
            command = lazy.load()
            if isinstance(command, click.Group):
                found.extend(_lazy_commands(command, f"{path} {name}"))
    return found


LAZY = _lazy_commands(cli)


def test_every_group_of_the_tree_is_walked() -> None:
    paths = {path for path, _ in LAZY}
    assert {"kestrel flow deploy", "kestrel execution run", "kestrel server cluster"} <= paths
    assert len(paths) >= 20


@pytest.mark.parametrize(("path", "lazy"), LAZY, ids=[path for path, _ in LAZY])
def test_a_listed_help_is_the_commands_own(path: str, lazy: LazyCommand) -> None:
    assert lazy.short_help == lazy.load().get_short_help_str(10**6), path


def test_help_lists_commands_without_importing_the_runtime() -> None:
    probe = (
        "import sys\n"
        "from orchestrator.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['confluent_kafka', 'elasticsearch', 'pydantic', 'executor', 'aiohttp']\n"
        "print('imported:' + ','.join(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert "worker" in result.stdout  # the listing itself
    assert result.stdout.strip().splitlines()[-1] == "imported:"


def test_an_unknown_command_is_a_usage_error() -> None:
    result = click.testing.CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command 'no-such-command'" in result.output
