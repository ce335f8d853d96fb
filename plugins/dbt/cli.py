"""``io.kestra.plugin.dbt.cli.DbtCLI`` and ``Build``: dbt commands as a script task.

They run like ``scripts.shell.Commands`` (a local process, or a Docker task runner), with
``profiles`` written to ``profiles.yml`` in the working directory, dbt looked up first
next to Kestrel's own Python (``kestrelflow[dbt]`` installs dbt-core and dbt-duckdb), and
``target/run_results.json`` read after the run.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from plugins.dbt.results import summarize_run_results
from plugins.scripts.shell import ShellTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class _DbtTask(ShellTask):
    default_image: ClassVar[str] = "ghcr.io/kestra-io/dbt"

    profiles: str | None = None
    """The content of ``profiles.yml`` (written to the working directory)."""
    project_dir: str | None = None
    """The dbt project's folder, relative to the working directory (default: it)."""
    engine: Literal["CORE", "FUSION"] = "CORE"
    """Accepted for Kestra's flows: the dbt on the PATH runs (dbt-core)."""
    log_format: Literal["JSON", "TEXT", "DEFAULT"] | None = None
    """Accepted for Kestra's flows: dbt's own output goes to the log as it is."""
    store_manifest: dict[str, Any] | None = None
    """Accepted for Kestra's flows; the manifest is not stored in the KV store."""
    load_manifest: dict[str, Any] | None = None
    """Accepted for Kestra's flows."""
    docker_options: dict[str, Any] | None = None
    """Kestra's older Docker options (``image``...), used like ``docker``."""
    parse_run_results: bool = True
    """Read ``target/run_results.json`` after the run: a log line per node, and the
    output ``runResults`` (node counts by status)."""

    def _environment(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> dict[str, str]:
        env = super()._environment(ctx, working_dir, extra)
        # The dbt of kestrelflow[dbt] lives beside this Python, maybe not on the PATH.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
        if self.profiles is not None:
            env.setdefault("DBT_PROFILES_DIR", str(working_dir))
        elif isinstance(self.input_files, dict) and any(
            name.startswith(".profile/") for name in self.input_files
        ):  # Kestra's older dbt tasks read profiles from .profile/
            env.setdefault("DBT_PROFILES_DIR", str(working_dir / ".profile"))
        if self.project_dir is not None:
            project = ctx.render_text(self.project_dir, "projectDir", extra)
            env.setdefault("DBT_PROJECT_DIR", str(working_dir / project))
        return env

    def _image(self, ctx: RunContext) -> str:
        if self.container_image is None and self.docker_options and "image" in self.docker_options:
            return ctx.render_text(self.docker_options["image"], "dockerOptions.image")
        return super()._image(ctx)

    def _write_input_files(self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]) -> None:
        super()._write_input_files(ctx, working_dir, extra)
        if self.profiles is not None:
            profiles = working_dir / "profiles.yml"
            if profiles.exists():
                ctx.logger.warn("profiles.yml exists in the working directory: replaced")
            profiles.write_text(ctx.render_text(self.profiles, "profiles", extra))

    def _after_success(self, ctx: RunContext, working_dir: Path) -> dict[str, Any]:
        if not self.parse_run_results:
            return {}
        project = working_dir
        if self.project_dir is not None:
            project = working_dir / ctx.render_text(self.project_dir, "projectDir")
        summary = summarize_run_results(ctx, project)
        return {} if summary is None else {"runResults": summary}


class DbtCLI(_DbtTask):
    """Run dbt ``commands`` (``dbt deps``, ``dbt build``...) in the working directory.

    Example:
        ```yaml
        - id: dbt
          type: io.kestra.plugin.dbt.cli.DbtCLI
          commands: [dbt deps, dbt build]
          profiles: |
            my_project:
              outputs:
                dev: {type: duckdb, path: ":memory:"}
              target: dev
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.dbt.cli.DbtCLI"

    commands: list[str] = Field(min_length=1)
    """The commands (each rendered), run in one shell."""

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        rendered = ctx.render(self.commands, "commands", extra)
        return "\n".join(str(line) for line in rendered), []


class Build(_DbtTask):
    """Run ``dbt build`` with Kestra's options (select, exclude, target, threads...).

    Example:
        ```yaml
        - id: build
          type: io.kestra.plugin.dbt.cli.Build
          select: [tag:daily]
          profiles: "{{ read('profiles.yml') }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.dbt.cli.Build"

    dbt_path: str = "dbt"
    """The dbt executable."""
    debug: bool = False
    """``--debug``."""
    fail_fast: bool = False
    """``--fail-fast``: stop at the first failure."""
    warn_error: bool = False
    """``--warn-error``: treat warnings as errors."""
    full_refresh: bool = False
    """``--full-refresh`` of incremental models."""
    thread: int | None = Field(default=None, ge=1)
    """``--threads``."""
    target: str | None = None
    """``--target``: the profile's target."""
    select: list[str] = []
    """``--select``: the nodes to build."""
    exclude: list[str] = []
    """``--exclude``: the nodes to leave out."""
    selector: str | None = None
    """``--selector``: a selector of ``selectors.yml``."""

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        dbt = ctx.render_text(self.dbt_path, "dbtPath", extra)
        if dbt == "./bin/dbt" and not (working_dir / "bin" / "dbt").exists():
            dbt = "dbt"  # Kestra's old default, a path in its image
        argv = [dbt, *(["--debug"] if self.debug else []), "build"]
        flags = {
            "--fail-fast": self.fail_fast,
            "--warn-error": self.warn_error,
            "--full-refresh": self.full_refresh,
        }
        argv += [flag for flag, wanted in flags.items() if wanted]
        if self.thread is not None:
            argv += ["--threads", str(self.thread)]
        for option, value in (("--target", self.target), ("--selector", self.selector)):
            if value is not None:
                argv += [option, ctx.render_text(value, option.lstrip("-"), extra)]
        for option, values in (("--select", self.select), ("--exclude", self.exclude)):
            if values:
                argv += [option, *(str(v) for v in ctx.render(values, option.lstrip("-"), extra))]
        return shlex.join(argv), []


__all__ = ["Build", "DbtCLI"]
