"""How service commands log: ``--verbose`` and ``--log-format text|json``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from orchestrator.jsonlog import JsonFormatter

F = TypeVar("F", bound=Callable[..., Any])

TEXT_FORMAT = "%(asctime)s %(levelname)-5s %(name)s %(message)s"


def log_format_option(command: F) -> F:
    """``--log-format``: ``text`` for people, ``json`` (one object per line) for collectors."""
    return click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        default="text",
        envvar="KESTREL_LOG_FORMAT",
        show_default=True,
        help="Log lines as text, or as one JSON object per line.",
    )(command)


def configure_logging(verbose: bool, log_format: str = "text") -> None:
    """Send log records to stderr in ``log_format``, at DEBUG when ``verbose``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not verbose:
        # The Elasticsearch client logs every HTTP request at INFO: one line per bulk.
        logging.getLogger("elastic_transport").setLevel(logging.WARNING)
