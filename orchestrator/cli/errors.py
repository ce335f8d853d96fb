"""How the CLI reports errors: one clear message on stderr, never a traceback by default."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click

from orchestrator.errors import OrchestratorError

EXIT_FAILED = 1
EXIT_INVALID = 2


class KestrelGroup(click.Group):
    """A click group whose commands turn Kestrel errors into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map errors to a message on stderr and an exit code."""
        return run_reporting_errors(lambda: super(KestrelGroup, self).invoke(ctx))


def run_reporting_errors(action: Callable[[], Any]) -> Any:
    """Run ``action``; print Kestrel errors as one message; hide tracebacks unless debugging.

    ``KESTREL_DEBUG=1`` prints the traceback of unexpected errors, for bug reports.
    """
    try:
        return action()
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except OrchestratorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", EXIT_FAILED))
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("KESTREL_DEBUG"):
            traceback.print_exc()
        else:
            hint = "(set KESTREL_DEBUG=1 for the traceback and report it as a bug)"
            click.echo(f"internal error: {type(exc).__name__}: {exc} {hint}", err=True)
        sys.exit(EXIT_FAILED)
