"""Python script tasks: ``io.kestra.plugin.scripts.python.Script`` and ``.Commands``.

Both run in a cached virtual environment holding their ``dependencies`` (see
`plugins.scripts.envs`), whose ``bin`` comes first on the PATH, so ``python`` and ``pip``
in the commands are the environment's. Kestra's ``kestra`` helper module is importable
(``from kestra import Kestra; Kestra.outputs({...})``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from plugins.scripts.envs import python_env
from plugins.scripts.shell import ShellTask
from plugins.scripts.staging import stage_uris
from plugins.scripts.task import Prepared, internal_file

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

PYTHON_LIB = Path(__file__).resolve().parent / "lib" / "python"
"""The folder of the ``kestra`` helper module, put on the scripts' PYTHONPATH."""


class PythonTask(ShellTask):
    """Properties common to the Python tasks."""

    default_image: ClassVar[str] = "python:3.13-slim"

    dependencies: list[str] = Field(default_factory=list)
    """Packages to install first (pip requirement specifiers), cached per set."""
    dependency_cache_enabled: bool = True
    """Reuse the environment built for the same dependency set."""
    python_version: str | None = None
    """The Python that runs the script (``3.12``): the worker's, a ``python3.12`` of its
    PATH or one uv provides; the task fails when none has it. Default: the worker's."""

    def _environment(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> dict[str, str]:
        env = super()._environment(ctx, working_dir, extra)
        if self._runs_in_container():
            return env
        dependencies = [str(each) for each in ctx.render(self.dependencies, "dependencies")]
        version = (
            ctx.render_text(self.python_version, "pythonVersion") if self.python_version else None
        )
        venv = python_env(
            ctx, dependencies, cache=self.dependency_cache_enabled, python_version=version
        )
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
        paths = [str(PYTHON_LIB), *filter(None, [env.get("PYTHONPATH")])]
        env["PYTHONPATH"] = ":".join(paths)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _runs_in_container(self) -> bool:
        from plugins.scripts.runners import docker_engine_available

        return self._wants_docker() and docker_engine_available()

    def _command(self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]) -> Prepared:
        if self._runs_in_container() and self.dependencies:
            # In a container the image's pip installs them, as Kestra does.
            wanted = " ".join(str(each) for each in ctx.render(self.dependencies, "dependencies"))
            before = [f"pip install -q {wanted}", *self.before_commands]
            with_install = self.model_copy(update={"before_commands": before})
            return ShellTask._command(with_install, ctx, working_dir, extra)
        return super()._command(ctx, working_dir, extra)


class Script(PythonTask):
    """Run a Python script, written to a file of the working directory.

    Example:
        ```yaml
        - id: python
          type: io.kestra.plugin.scripts.python.Script
          dependencies:
            - requests
          script: |
            from kestra import Kestra
            Kestra.outputs({"answer": 42})
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.scripts.python.Script"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.python.Script",)

    script: str
    """The Python code (rendered)."""

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        text = stage_uris(ctx, working_dir, ctx.render_text(self.script, "script", extra))
        script = internal_file(working_dir, ".py", text)
        return f"python {script.name}", [script]


class Commands(PythonTask):
    """Run shell commands with the Python environment first on the PATH.

    Example:
        ```yaml
        - id: python
          type: io.kestra.plugin.scripts.python.Commands
          inputFiles:
            main.py: print("hello")
          commands:
            - python main.py
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.scripts.python.Commands"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.python.Commands",)

    commands: list[str] = Field(min_length=1)
    """The commands (each rendered)."""

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        rendered = ctx.render(self.commands, "commands", extra)
        return "\n".join(str(line) for line in rendered), []


__all__ = ["PYTHON_LIB", "Commands", "PythonTask", "Script"]
