"""The ``kestrel`` command line."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import click

from orchestrator.cli.errors import KestrelGroup
from orchestrator.cli.flow import flow_group
from orchestrator.cli.search import SEARCH_COMMANDS


def _version() -> str:
    try:
        return version("kestrelflow")
    except PackageNotFoundError:
        return "unknown"


def _register_runtime_commands(group: click.Group) -> None:
    from orchestrator.cli.cluster import cluster_command
    from orchestrator.cli.control import CONTROL_COMMANDS
    from orchestrator.cli.deploy import deploy_command
    from orchestrator.cli.kv import kv_group
    from orchestrator.cli.namespaces import namespace_group
    from orchestrator.cli.plugins import plugins_group
    from orchestrator.cli.services import (
        executor_command,
        hash_password_command,
        scheduler_command,
        secret_key_command,
        server_group,
        webserver_command,
        worker_command,
    )
    from orchestrator.cli.topics import topics_group

    flow_group.add_command(deploy_command)
    server_group.add_command(cluster_command)
    from orchestrator.cli.triggers import trigger_group

    group.add_command(kv_group)
    group.add_command(namespace_group)
    group.add_command(plugins_group)
    for command in (
        executor_command,
        scheduler_command,
        trigger_group,
        worker_command,
        server_group,
        topics_group,
        secret_key_command,
        webserver_command,
        hash_password_command,
    ):
        group.add_command(command)
    execution = group.commands.get("execution")
    if not isinstance(execution, click.Group):
        execution = click.Group("execution", help="Run and control executions.")
        group.add_command(execution)
    for control in CONTROL_COMMANDS:
        execution.add_command(control)


@click.group(cls=KestrelGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="kestrel")
def cli() -> None:
    """Kestrel: a Kafka-native workflow orchestrator."""


cli.add_command(flow_group)
for _search_command in SEARCH_COMMANDS:  # before the runtime: they join `execution`
    cli.add_command(_search_command)
_register_runtime_commands(cli)


def main() -> None:
    """Entry point of the ``kestrel`` console script."""
    cli()
