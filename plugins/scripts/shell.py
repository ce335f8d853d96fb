"""Shell tasks: `Commands` runs a list of commands, `Script` runs a multi-line script.

Both accept Kestra's names (``io.kestra.plugin.scripts.shell.Commands`` / ``.Script``) and
properties, and run as a local process (Kestra's ``Process`` task runner): Kestrel has no
container runner, so ``containerImage`` has no effect.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator

from plugins.scripts.task import MAX_INLINE_COMMAND, Prepared, ProcessTask, internal_file

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

PROCESS_RUNNERS = frozenset(
    {
        "io.kestra.plugin.core.runner.Process",
        "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner",
    }
)
"""Kestra's names of the only task runner Kestrel has: a local process."""


class ShellTask(ProcessTask):
    """Properties common to `Commands` and `Script`."""

    interpreter: list[str] = Field(default_factory=lambda: ["/bin/sh", "-c"], min_length=1)
    """The program and arguments that run the command text (given as the last argument)."""
    before_commands: list[str] = Field(default_factory=list)
    """Commands run first, in the same shell."""
    output_files: list[str] = Field(default_factory=list)
    """Globs, relative to the working directory, of files to store as outputs."""
    fail_fast: bool = True
    """Stop at the first failing command (``set -e``); otherwise the last one decides."""
    container_image: str | None = None
    """Accepted for Kestra flows; has no effect (commands run as local processes)."""
    task_runner: dict[str, Any] | None = None
    """Kestra's task runner; only the ``Process`` runner is supported."""
    runner: str | None = None
    """Kestra's deprecated runner choice; only ``PROCESS`` is supported."""

    @field_validator("task_runner")
    @classmethod
    def _only_process_runner(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and value.get("type") not in PROCESS_RUNNERS:
            raise ValueError(
                f"task runner {value.get('type')!r} is not supported: Kestrel runs scripts as "
                "local processes (io.kestra.plugin.core.runner.Process)"
            )
        return value

    @field_validator("runner")
    @classmethod
    def _only_process(cls, value: str | None) -> str | None:
        if value is not None and value.upper() != "PROCESS":
            raise ValueError(f"runner {value!r} is not supported: only PROCESS")
        return value

    def _before_run(self, ctx: RunContext) -> None:
        if self.container_image and self.task_runner is None and self.runner is None:
            ctx.logger.warn(
                f"containerImage {self.container_image!r} is ignored: "
                "Kestrel runs scripts as local processes"
            )

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
        text = "\n".join([*lines, main])
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
        script = internal_file(working_dir, ".sh", ctx.render_text(self.script, "script", extra))
        # The script runs under the interpreter's own shell (bash for ["/bin/bash", "-c"]).
        shell = ctx.render_text(self.interpreter[0], "interpreter[0]", extra)
        return f"{shlex.quote(shell)} {shlex.quote(str(script))}", [script]


__all__ = ["PROCESS_RUNNERS", "Commands", "Script", "ShellTask"]
