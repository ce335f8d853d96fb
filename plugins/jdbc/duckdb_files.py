"""DuckDB's ``inputFiles`` and ``outputFiles``: a working folder the SQL reads and writes.

The SQL sees ``{{ workingDir }}`` (the folder, holding the input files) and
``{{ outputFiles.<name> }}`` (the path a statement writes); the task outputs each output
file's ``kestrel://`` URI under ``outputFiles``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.plugin import TaskFailedError, is_storage_uri

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class DuckDbFiles(KestrelModel):
    """The file properties of DuckDB's tasks."""

    input_files: dict[str, str] | str | None = None
    """Files put in ``workingDir`` first: name -> content or ``kestrel://`` URI (rendered)."""
    output_files: list[str] = Field(default_factory=list)
    """Names of files the SQL writes at ``{{ outputFiles.<name> }}``, then stored."""
    database_uri: str | None = None
    """A DuckDB database file of the internal storage to run on (rendered), instead of
    ``url``: the run works on a copy."""
    output_db_file: bool = False
    """Without ``url``: keep the database in a file and output its URI as ``databaseUri``."""

    def private_database(self, ctx: RunContext, folder: Path) -> Path | None:
        """The database file of this run alone, or None to use ``url``.

        It is a copy of ``databaseUri``, or a new file when ``outputDbFile`` asks for one.
        """
        path = folder / "database.duckdb"
        if self.database_uri:
            path.write_bytes(ctx.get_file(ctx.render_text(self.database_uri, "databaseUri")))
            return path
        url = getattr(self, "url", None)
        return path if self.output_db_file and not url else None

    def prepare(self, ctx: RunContext, folder: Path) -> dict[str, Any]:
        """Write the input files to ``folder``; return the variables the SQL sees."""
        files = ctx.render(self.input_files, "inputFiles") if self.input_files else {}
        if not isinstance(files, dict):
            raise TaskFailedError(f"task '{ctx.task_run.task_id}': inputFiles must be a map")
        for name, content in files.items():
            path = _inside(folder, str(name), ctx)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = str(content)
            if is_storage_uri(text):
                path.write_bytes(ctx.get_file(text))
            else:
                path.write_text(text)
        outputs = {name: str(_inside(folder, name, ctx)) for name in self.output_files}
        return {"workingDir": str(folder), "outputFiles": outputs}

    def collect(self, ctx: RunContext, folder: Path) -> dict[str, str]:
        """Store the output files the SQL wrote; name -> ``kestrel://`` URI."""
        stored = {}
        for name in self.output_files:
            path = _inside(folder, name, ctx)
            if not path.is_file():
                raise TaskFailedError(
                    f"task '{ctx.task_run.task_id}': the SQL wrote no outputFiles.{name}",
                    retryable=False,
                )
            stored[name] = ctx.put_file(path, name)
        return stored


def _inside(folder: Path, name: str, ctx: RunContext) -> Path:
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise TaskFailedError(
            f"task '{ctx.task_run.task_id}': the file name {name!r} leaves the working folder",
            retryable=False,
        )
    return path


__all__ = ["DuckDbFiles"]
