"""Option types shared by the search commands: ages (``7d``), labels (``k=v``), settings."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from orchestrator.models.duration import parse_duration

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> timedelta:
    """Parse ``30s``, ``15m``, ``12h``, ``7d``, ``2w`` or an ISO-8601 duration (``PT1H``).

    Raises:
        ValueError: Not a duration, or not positive.
    """
    match = _AGE.match(text)
    if match:
        value = timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])
    else:
        try:
            value = parse_duration(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a duration: write 30s, 15m, 12h, 7d, 2w or ISO-8601 (PT1H)"
            ) from None
    if value <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return value


def age(ctx: click.Context, param: click.Parameter, value: Any) -> timedelta | None:
    """Click callback turning ``--since 7d`` into a ``timedelta`` (None stays None)."""
    del ctx
    if value is None or isinstance(value, timedelta):
        return value
    try:
        return parse_age(str(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


def parse_labels(pairs: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Turn ``("team=data", "env=prod")`` into key/value pairs.

    Raises:
        click.BadParameter: A pair without ``=`` or with an empty key.
    """
    labels = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--label")
        labels.append((key.strip(), value))
    return tuple(labels)


config_option = click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="KESTREL_CONFIG",
    help="A YAML settings file.",
)
"""``--config FILE`` (or ``KESTREL_CONFIG``)."""
