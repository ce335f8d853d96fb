"""The common part of script tasks: working directory, files, environment, process, outputs.

A subclass says which command line to run (`ProcessTask._command`); this class renders
the shared properties, prepares a fresh working directory, runs the command in its own
process group while streaming its output to the logs, and turns the end into outputs or
a failure.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.plugin import TaskFailedError, is_storage_uri
from orchestrator.tasks.base import RunnableTask
from plugins.scripts.errors import CommandFailedError
from plugins.scripts.files import UnsafePathError, match_files, write_file
from plugins.scripts.process import DEFAULT_GRACE_SECONDS, run_process
from plugins.scripts.protocol import OutputCollector

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

MAX_INLINE_COMMAND = 100_000
"""Longer command texts go to a file: Linux refuses arguments over 128 KiB."""

BASE_ENVIRONMENT = ("PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")
"""The only variables of the worker's environment a task process inherits (when set).

Everything else stays out, above all ``KESTREL_*`` (the cluster's secret key, Kafka and
Elasticsearch credentials) and ``SECRET_*`` (what ``secret()`` reads): a task gets a
secret only through its ``env`` property, where the rendered value is masked in its logs.
"""

_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Prepared:
    """What a subclass hands back to run: the command line, and files that are not outputs."""

    argv: list[str]
    internal: list[Path] = field(default_factory=list)
    """Files written for the command itself (a script), never stored as outputs."""


class ProcessTask(RunnableTask):
    """Base of tasks that run a command as a local process in a fresh working directory.

    Outputs: ``exitCode``, ``vars`` (from ``::{"outputs":{...}}::`` lines), ``outputFiles``
    (name -> ``kestrel://`` URI), ``stdOutLineCount`` and ``stdErrLineCount``.
    """

    grace_seconds: ClassVar[float] = DEFAULT_GRACE_SECONDS
    """Time the process group gets after SIGTERM (on kill or timeout) before SIGKILL."""

    env: dict[str, Any] = Field(default_factory=dict)
    """Environment variables of the process (values rendered), added to a short base of the
    worker's (`BASE_ENVIRONMENT`)."""
    input_files: dict[str, str] | str | None = None
    """Files written into the working directory first: name -> content, or a template that
    renders to such a map as JSON. A content that is a ``kestrel://`` URI is copied."""
    warning_on_std_err: bool = False
    """End in WARNING when the command wrote anything to stderr."""

    def _command(self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]) -> Prepared:
        """Render the command to run in ``working_dir``; ``extra`` adds template variables."""
        raise NotImplementedError

    def _output_patterns(self, ctx: RunContext, extra: dict[str, Any]) -> list[str]:
        """Globs of files to store after a successful run."""
        return []

    def _extra_variables(self, working_dir: Path) -> dict[str, Any]:
        """Template variables the properties may use besides the run's own."""
        return {"workingDir": str(working_dir)}

    def _before_run(self, ctx: RunContext) -> None:
        """Called first (to warn about properties that have no effect, for example)."""

    def _after_success(self, ctx: RunContext, working_dir: Path) -> dict[str, Any]:
        """Called after a successful command, in its working directory: extra outputs."""
        return {}

    def _launch(
        self, ctx: RunContext, argv: list[str], working_dir: Path, env: dict[str, str]
    ) -> list[str]:
        """The command line that really runs ``argv`` (a task runner may wrap it)."""
        return argv

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the command and return its outputs.

        Raises:
            CommandFailedError: the command ended with a non-zero exit code.
            TaskFailedError: the task was killed, or a file could not be prepared or stored.
        """
        self._before_run(ctx)
        with ctx.working_directory() as working_dir:
            extra = self._extra_variables(working_dir)
            env = self._environment(ctx, working_dir, extra)
            self._write_input_files(ctx, working_dir, extra)
            prepared = self._command(ctx, working_dir, extra)
            argv = self._launch(ctx, prepared.argv, working_dir, env)
            patterns = self._output_patterns(ctx, extra)
            collector = OutputCollector(ctx.logger)
            if ctx.cancelled.is_set():
                raise _killed()
            ctx.logger.debug(f"Starting command {argv} in {working_dir}")
            try:
                result = run_process(
                    argv,
                    cwd=working_dir,
                    env=env,
                    on_stdout=collector.stdout,
                    on_stderr=collector.stderr,
                    cancelled=ctx.cancelled,
                    grace_seconds=self.grace_seconds,
                )
            except OSError as exc:
                raise TaskFailedError(f"cannot start {argv[0]}: {exc}") from exc
            if result.cancelled:
                raise _killed()
            if result.exit_code != 0:
                tail = [ctx.mask(line) for line in collector.stderr_tail]
                raise CommandFailedError(result.exit_code, tail)
            ctx.logger.debug(f"Command succeeded with exit code {result.exit_code}")
            files = self._store_output_files(ctx, working_dir, patterns, prepared.internal)
            extra_outputs = self._after_success(ctx, working_dir)
        if self.warning_on_std_err and collector.stderr_count:
            ctx.set_warning(f"the command wrote {collector.stderr_count} line(s) to stderr")
        return {
            "exitCode": result.exit_code,
            "vars": collector.vars,
            "outputFiles": files,
            "stdOutLineCount": collector.stdout_count,
            "stdErrLineCount": collector.stderr_count,
            **extra_outputs,
        }

    def _environment(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> dict[str, str]:
        env = {name: os.environ[name] for name in BASE_ENVIRONMENT if name in os.environ}
        env.setdefault("PATH", _DEFAULT_PATH)
        rendered = ctx.render(self.env, "env", extra)
        env.update({str(key): _env_text(value) for key, value in rendered.items()})
        env["WORKING_DIR"] = str(working_dir)
        return env

    def _write_input_files(self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]) -> None:
        if self.input_files is None:
            return
        files = ctx.render(self.input_files, "inputFiles", extra)
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except json.JSONDecodeError as exc:
                message = f"inputFiles is not a JSON map: {exc}"
                raise TaskFailedError(message, retryable=False) from exc
        if not isinstance(files, Mapping):
            raise TaskFailedError(
                "inputFiles must be a map of file name to content", retryable=False
            )
        for name, content in files.items():
            text = content if isinstance(content, str) else json.dumps(content)
            data = ctx.get_file(text) if is_storage_uri(text) else text.encode()
            try:
                write_file(working_dir, str(name), data)
            except UnsafePathError as exc:
                raise TaskFailedError(f"inputFiles: {exc}", retryable=False) from exc

    def _store_output_files(
        self, ctx: RunContext, working_dir: Path, patterns: list[str], internal: list[Path]
    ) -> dict[str, str]:
        if not patterns:
            return {}
        try:
            matched = match_files(working_dir, patterns, exclude=internal)
        except UnsafePathError as exc:
            raise TaskFailedError(f"outputFiles: {exc}", retryable=False) from exc
        stored = {name: ctx.put_file(path, name) for name, path in matched.items()}
        for name, uri in stored.items():
            ctx.logger.debug(f"Stored output file {name} as {uri}")
        return stored


def internal_file(working_dir: Path, suffix: str, content: str) -> Path:
    """Write ``content`` to a new hidden file of ``working_dir`` (not an output file)."""
    path = working_dir / f".kestrel-{secrets.token_hex(6)}{suffix}"
    path.write_text(content, encoding="utf-8")
    return path


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _killed() -> TaskFailedError:
    return TaskFailedError("Command killed", retryable=False, error_type="Killed")


__all__ = ["BASE_ENVIRONMENT", "MAX_INLINE_COMMAND", "Prepared", "ProcessTask", "internal_file"]
