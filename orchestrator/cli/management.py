"""The management server of the service commands: ``--management-port`` and its start."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from orchestrator.cli.logsetup import configure_logging
from orchestrator.management import Health, ManagementServer
from orchestrator.settings import KestrelSettings

F = TypeVar("F", bound=Callable[..., Any])


def management_port_option(command: F) -> F:
    """``--management-port``: where health and metrics are served (0: any free port)."""
    return click.option(
        "--management-port",
        type=click.IntRange(0, 65535),
        help="Port of /health and /metrics (default: management.port, 8081; 0: any free).",
    )(command)


def with_management_port(settings: KestrelSettings, port: int | None) -> KestrelSettings:
    """``settings`` with the management port of the command line, when one was given."""
    if port is None:
        return settings
    management = settings.management.model_copy(update={"port": port})
    return settings.model_copy(update={"management": management})


def management_server(settings: KestrelSettings, health: Health) -> ManagementServer | None:
    """Bind the management server (not started yet) and say where it is; None when disabled.

    Raises:
        ManagementError: The port cannot be bound.
    """
    if not settings.management.enabled:
        return None
    server = ManagementServer(settings.management, health)
    click.echo(f"Health and metrics on {server.url} (/health, /metrics)")
    return server


def start_service_command(
    settings: KestrelSettings, management_port: int | None, verbose: bool, log_format: str
) -> tuple[KestrelSettings, Health, ManagementServer | None]:
    """What every service command does first: logging, the settings, health and its server.

    Returns:
        The settings (with ``--management-port``), the health the services report to, and
        the bound management server (None when disabled), to pass to ``run_services``.
    """
    configure_logging(verbose, log_format)
    sys.setswitchinterval(settings.runtime.switch_interval)
    settings = with_management_port(settings, management_port)
    health = new_health(settings)
    return settings, health, management_server(settings, health)


def new_health(settings: KestrelSettings) -> Health:
    """The health of the services this process will run."""
    return Health(settings.management.stalled_after)
