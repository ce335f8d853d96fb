"""Shell tasks: `Commands` runs a list of commands, `Script` runs a multi-line script.

Both accept Kestra's names (``io.kestra.plugin.scripts.shell.Commands`` / ``.Script``) and
properties, and run as a local process (Kestra's ``Process`` task runner) unless their
``taskRunner`` is Docker (see `plugins.scripts.runners`).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator

from orchestrator.namespace_files import NamespaceFiles, NamespaceFilesError, stage
from orchestrator.plugin import TaskFailedError
from plugins.scripts.runners import (
    PROCESS_RUNNERS,
    DockerRunner,
    TaskRunner,
    UnsupportedRunnerError,
    docker_engine_available,
    docker_fallback,
    parse_runner,
)
from plugins.scripts.staging import stage_uris
from plugins.scripts.task import MAX_INLINE_COMMAND, Prepared, ProcessTask, internal_file

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


def _parse_task_runner(value: Any) -> Any:
    if isinstance(value, dict):
        try:
            return parse_runner(value)
        except UnsupportedRunnerError as exc:
            raise ValueError(str(exc)) from exc
    return value


class ShellTask(ProcessTask):
    """Properties common to script tasks (shell, Python, Node): commands in one shell."""

    default_image: ClassVar[str] = "ubuntu"
    """Kestra's default ``containerImage`` of the task type."""

    interpreter: list[str] = Field(default_factory=lambda: ["/bin/sh", "-c"], min_length=1)
    """The program and arguments that run the command text (given as the last argument)."""
    before_commands: list[str] = Field(default_factory=list)
    """Commands run first, in the same shell."""
    output_files: list[str] = Field(default_factory=list)
    """Globs, relative to the working directory, of files to store as outputs."""
    fail_fast: bool = True
    """Stop at the first failing command (``set -e``); otherwise the last one decides."""
    container_image: str | None = None
    """The image the Docker task runner uses; without a Docker runner it has no effect."""
    task_runner: Annotated[TaskRunner, BeforeValidator(_parse_task_runner)] | None = None
    """How the command runs: ``io.kestra.plugin.core.runner.Process`` (a local process,
    the default) or ``io.kestra.plugin.scripts.runner.docker.Docker`` (a container)."""
    runner: str | None = None
    """Kestra's deprecated runner choice: ``PROCESS`` or ``DOCKER``."""
    docker: dict[str, Any] | None = None
    """Kestra's deprecated Docker options (``image`` and others), used like a Docker runner."""
    namespace_files: NamespaceFiles | None = None
    """Files of the namespace copied into the working directory first (``kestrel namespace
    files upload`` stores them)."""
    target_os: Literal["LINUX", "WINDOWS", "AUTO"] = Field(default="AUTO", alias="targetOS")
    """The OS the commands are written for; Kestrel runs them on Linux."""

    @field_validator("runner")
    @classmethod
    def _known_runner(cls, value: str | None) -> str | None:
        if value is not None and value.upper() not in ("PROCESS", "DOCKER"):
            raise ValueError(f"runner {value!r} is not supported: PROCESS or DOCKER")
        return value

    def _before_run(self, ctx: RunContext) -> None:
        if self.container_image and not self._wants_docker():
            ctx.logger.warn(
                f"containerImage {self.container_image!r} is ignored: "
                "the task runs as a local process"
            )

    def _write_input_files(self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]) -> None:
        if self.namespace_files is not None:
            try:
                copied = stage(
                    ctx.storage,
                    ctx.task_run.namespace,
                    working_dir,
                    self.namespace_files,
                    ctx.logger.warn,
                )
            except NamespaceFilesError as exc:
                raise TaskFailedError(str(exc), retryable=False) from exc
            ctx.logger.debug(f"{len(copied)} namespace file(s) copied")
        super()._write_input_files(ctx, working_dir, extra)

    def _wants_docker(self) -> bool:
        if isinstance(self.task_runner, DockerRunner):
            return True
        if self.task_runner is None and self.runner is not None:
            return self.runner.upper() == "DOCKER"
        return False

    def _image(self, ctx: RunContext) -> str:
        image = self.container_image or (self.docker or {}).get("image") or self.default_image
        return ctx.render_text(image, "containerImage")

    def _launch(
        self, ctx: RunContext, argv: list[str], working_dir: Path, env: dict[str, str]
    ) -> list[str]:
        if not self._wants_docker():
            return argv
        image = self._image(ctx)
        runner = self.task_runner if isinstance(self.task_runner, DockerRunner) else None
        if docker_engine_available():
            docker = runner or DockerRunner(type="io.kestra.plugin.scripts.runner.docker.Docker")
            return docker.docker_argv(image, argv, working_dir, env)
        if docker_fallback() == "fail":
            raise TaskFailedError(
                f"the Docker task runner needs a Docker engine and none is reachable "
                f"(image {image!r}); set scripts.docker_fallback to 'process' to run the "
                "script as a local process instead",
                retryable=False,
                error_type="NoDockerEngine",
            )
        ctx.logger.warn(
            f"no Docker engine is reachable: running as a local process instead of in the "
            f"container image {image!r}"
        )
        return argv

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        """The rendered commands that follow ``beforeCommands``, and files written for them."""
        raise NotImplementedError

    def _command(self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]) -> Prepared:
        interpreter = [str(part) for part in ctx.render(self.interpreter, "interpreter", extra)]
        lines = ["set -e"] if self.fail_fast else []
        lines += [str(line) for line in ctx.render(self.before_commands, "beforeCommands", extra)]
        main, internal = self._main_commands(ctx, working_dir, extra)
        text = stage_uris(ctx, working_dir, "\n".join([*lines, main]))
        if len(text) <= MAX_INLINE_COMMAND:
            return Prepared([*interpreter, text], internal)
        script = internal_file(working_dir, ".sh", text)
        return Prepared([interpreter[0], str(script)], [*internal, script])

    def _output_patterns(self, ctx: RunContext, extra: dict[str, Any]) -> list[str]:
        return [str(each) for each in ctx.render(self.output_files, "outputFiles", extra)]


class Commands(ShellTask):
    """Run shell commands, one after the other, in one shell.

    Example:
        ```yaml
        - id: hello
          type: io.kestra.plugin.scripts.shell.Commands
          commands:
            - echo '::{"outputs":{"greeting":"hello"}}::'
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.scripts.shell.Commands"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.shell.Commands",)

    commands: list[str] = Field(min_length=1)
    """The commands (each rendered)."""

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        rendered = ctx.render(self.commands, "commands", extra)
        return "\n".join(str(line) for line in rendered), []


class Script(ShellTask):
    """Run a multi-line shell script, written to a file of the working directory."""

    type_name: ClassVar[str] = "kestrel.plugins.scripts.shell.Script"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.shell.Script",)

    script: str
    """The script (rendered)."""

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        text = stage_uris(ctx, working_dir, ctx.render_text(self.script, "script", extra))
        script = internal_file(working_dir, ".sh", text)
        # The script runs under the interpreter's own shell (bash for ["/bin/bash", "-c"]).
        shell = ctx.render_text(self.interpreter[0], "interpreter[0]", extra)
        return f"{shlex.quote(shell)} {shlex.quote(str(script))}", [script]


__all__ = ["PROCESS_RUNNERS", "Commands", "NamespaceFiles", "Script", "ShellTask"]
