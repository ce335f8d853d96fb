"""The REST API inside a service command: the service, and ``server local``'s API settings."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestrator.management import Health
from orchestrator.settings import KestrelSettings
from orchestrator.webserver.settings import WebserverSettings

if TYPE_CHECKING:
    from orchestrator.webserver.app import WebserverService


def api_service(settings: KestrelSettings, health: Health) -> WebserverService:
    """The REST API service, reporting to ``health``; it prints its URL once serving."""
    from orchestrator.webserver.app import WebserverService  # aiohttp: only when serving

    return WebserverService(
        settings,
        on_ready=lambda url: click.echo(f"The API listens on {url}"),
        probe=health.probe("webserver"),
    )


def local_api_settings(settings: KestrelSettings, home: Path) -> WebserverSettings:
    """The configured users, else an ``admin`` made once (its password printed once)."""
    from orchestrator.webserver.auth import hash_secret
    from orchestrator.webserver.settings import ApiUser

    config = settings.webserver
    if not _port_free(config.host, config.port):
        click.echo(f"port {config.port} is busy: the API takes a free port (printed below)")
        config = config.model_copy(update={"port": 0})
    if config.auth.users or not config.auth.enabled:
        return config
    password_file = home / "admin.password"
    if not password_file.exists():
        home.mkdir(parents=True, exist_ok=True)
        password_file.write_text(secrets.token_urlsafe(18))
        password_file.chmod(0o600)
        click.echo(f"API user: admin, password: {password_file.read_text()} (shown once)")
    else:
        click.echo(f"API user: admin, password in {password_file}")
    user = ApiUser(username="admin", password_hash=hash_secret(password_file.read_text().strip()))
    auth = config.auth.model_copy(update={"users": (user,)})
    return config.model_copy(update={"auth": auth})


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
