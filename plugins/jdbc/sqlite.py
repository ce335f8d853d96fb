"""SQLite: ``io.kestra.plugin.jdbc.sqlite.Query``, ``Queries`` and ``Trigger``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from orchestrator.models.base import KestrelModel
from plugins.jdbc.embedded_dialects import SqliteDialect
from plugins.jdbc.task import Queries as BaseQueries
from plugins.jdbc.task import Query as BaseQuery
from plugins.jdbc.trigger import JdbcTrigger

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

DIALECT = SqliteDialect()


class SqliteFiles(KestrelModel):
    """Kestra's SQLite file properties: a database from the internal storage, and back."""

    sqlite_file: str | None = None
    """A database file of the internal storage to run on (rendered): the run works on a
    copy, named as ``url``'s file."""
    output_db_file: bool = False
    """Store the database file after the run and output its URI as ``databaseUri``."""


def _run_with_files(task: Query | Queries, ctx: RunContext) -> dict[str, Any]:
    url = DIALECT.parse(ctx.render_text(task.url, "url") if task.url else None)
    # A relative file is one of the run's working folder, as in Kestra: gone after the run.
    relative = url.path is not None and not Path(url.path).is_absolute()
    if not task.sqlite_file and not task.output_db_file and not relative:
        return task.outputs(ctx)
    with ctx.working_directory() as folder:
        private: Path | None = None
        if task.sqlite_file or url.path is None or relative:
            private = folder / (Path(url.path).name if url.path else "database.db")
            if task.sqlite_file:
                private.write_bytes(ctx.get_file(ctx.render_text(task.sqlite_file, "sqliteFile")))
        runner = (
            task if private is None else task.model_copy(update={"url": f"jdbc:sqlite:{private}"})
        )
        try:
            outputs = runner.outputs(ctx)
        finally:
            if private is not None:
                DIALECT.release(private)
        if task.output_db_file:
            database = private or Path(str(url.path))
            outputs["databaseUri"] = ctx.put_file(database, database.name)
    return outputs


class Query(SqliteFiles, BaseQuery):
    """Run SQL on SQLite; outputs follow ``fetchType``.

    Example:
        ```yaml
        - id: query
          type: io.kestra.plugin.jdbc.sqlite.Query
          url: jdbc:sqlite:/data/shop.db
          sql: SELECT * FROM orders WHERE id = :id
          parameters:
            id: 42
          fetchType: FETCH_ONE
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.sqlite.Query"
    dialect: ClassVar[SqliteDialect] = DIALECT
    url_required: ClassVar[bool] = False

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the SQL (on a copy of ``sqliteFile``); store the file for ``outputDbFile``."""
        return _run_with_files(self, ctx)


class Queries(SqliteFiles, BaseQueries):
    """Run several statements on SQLite, in one transaction by default."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.sqlite.Queries"
    dialect: ClassVar[SqliteDialect] = DIALECT
    url_required: ClassVar[bool] = False

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the SQL (on a copy of ``sqliteFile``); store the file for ``outputDbFile``."""
        return _run_with_files(self, ctx)


class Trigger(JdbcTrigger):
    """Poll SQLite with a query; start an execution when it returns rows."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.sqlite.Trigger"
    dialect: ClassVar[SqliteDialect] = DIALECT
    url_required: ClassVar[bool] = False


__all__ = ["Queries", "Query", "Trigger"]
