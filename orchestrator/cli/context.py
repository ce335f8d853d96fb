"""What CLI commands share: settings, the template renderer, stable instance ids."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from orchestrator.settings import KestrelSettings, load_settings
from orchestrator.templating import TemplateRenderer, envs_from_environ


def settings_from(config: Path | None = None, **overrides: object) -> KestrelSettings:
    """Load settings from ``--config`` (or ``$KESTREL_CONFIG``) and the environment."""
    return load_settings(config, **overrides)


def secret_from_environment(name: str) -> str | None:
    """Secrets for ``secret('NAME')``: the environment variable ``SECRET_NAME``."""
    return os.environ.get(f"SECRET_{name}")


def make_renderer() -> TemplateRenderer:
    """The template renderer of a Kestrel process."""
    return TemplateRenderer(
        secret_provider=secret_from_environment, envs=envs_from_environ(os.environ)
    )


def default_instance_id(settings: KestrelSettings, role: str) -> str:
    """A stable instance id: the configured one, else the host name (a pod name on k8s)."""
    base = settings.kafka.instance_id or socket.gethostname()
    return f"{base}-{role}"
