"""Kestra's deprecated ``io.kestra.core.tasks.scripts.Bash`` task, for flows that still use it.

It differs from `plugins.scripts.shell.Commands` in its properties: ``interpreter`` is one
program and ``interpreterArgs`` its arguments, ``exitOnFailed`` plays ``failFast``, and
``outputFiles`` lists names of files to create, which the commands fill through
``{{ outputFiles.<name> }}`` and which are stored after the run. Kestra's default of
``warningOnStdErr`` was true for this task.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator

from orchestrator.plugin import TaskFailedError
from plugins.scripts.files import UnsafePathError, inside
from plugins.scripts.task import MAX_INLINE_COMMAND, Prepared, ProcessTask, internal_file

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_OUTPUTS_FOLDER = ".kestrel-outputs"


class Bash(ProcessTask):
    """Run shell commands (Kestra's deprecated Bash task; prefer `Commands`)."""

    type_name: ClassVar[str] = "kestrel.plugins.scripts.shell.Bash"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.core.tasks.scripts.Bash",)

    commands: list[str] = Field(min_length=1)
    interpreter: str = "/bin/sh"
    interpreter_args: list[str] = Field(default_factory=lambda: ["-c"])
    exit_on_failed: bool = True
    output_files: list[str] = Field(default_factory=list)
    outputs_files: list[str] = Field(default_factory=list)
    """Deprecated spelling of ``outputFiles``."""
    files: list[str] = Field(default_factory=list)
    """Deprecated spelling of ``outputFiles``."""
    warning_on_std_err: bool = True
    runner: str | None = None
    """``PROCESS`` (the only runner Kestrel has)."""

    @field_validator("runner")
    @classmethod
    def _only_process(cls, value: str | None) -> str | None:
        if value is not None and value.upper() != "PROCESS":
            raise ValueError(f"runner {value!r} is not supported: only PROCESS")
        return value

    @property
    def output_names(self) -> list[str]:
        """Every declared output file name, in order, without repeats."""
        return list(dict.fromkeys([*self.output_files, *self.outputs_files, *self.files]))

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the commands; outputs also carry the stored files as ``files``."""
        outputs = super().run(ctx) or {}
        outputs["files"] = outputs["outputFiles"]
        return outputs

    def _extra_variables(self, working_dir: Path) -> dict[str, Any]:
        paths = {name: str(self._output_path(working_dir, name)) for name in self.output_names}
        return {**super()._extra_variables(working_dir), "outputFiles": paths, "temp": paths}

    def _output_path(self, working_dir: Path, name: str) -> Path:
        try:
            return inside(working_dir / _OUTPUTS_FOLDER, name)
        except UnsafePathError as exc:
            raise TaskFailedError(f"outputFiles: {exc}", retryable=False) from exc

    def _command(self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]) -> Prepared:
        for name in self.output_names:
            path = self._output_path(working_dir, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        lines = ["set -o errexit"] if self.exit_on_failed else []
        lines += [str(line) for line in ctx.render(self.commands, "commands", extra)]
        text = "\n".join(lines)
        if len(text) <= MAX_INLINE_COMMAND:
            return Prepared([self.interpreter, *self.interpreter_args, text])
        script = internal_file(working_dir, ".sh", text)
        return Prepared([self.interpreter, str(script)], [script])

    def _store_output_files(
        self, ctx: RunContext, working_dir: Path, patterns: list[str], internal: list[Path]
    ) -> dict[str, str]:
        return {
            name: ctx.put_file(self._output_path(working_dir, name), name)
            for name in self.output_names
        }


__all__ = ["Bash"]
