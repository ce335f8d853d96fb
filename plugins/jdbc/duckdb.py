"""DuckDB: ``io.kestra.plugin.jdbc.duckdb.Query``, ``Queries`` and ``Trigger``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from plugins.jdbc.duckdb_files import DuckDbFiles
from plugins.jdbc.embedded_dialects import DuckDbDialect
from plugins.jdbc.task import Queries as BaseQueries
from plugins.jdbc.task import Query as BaseQuery
from plugins.jdbc.trigger import JdbcTrigger

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

DIALECT = DuckDbDialect()


class Query(DuckDbFiles, BaseQuery):
    """Run SQL on DuckDB; outputs follow ``fetchType``.

    Example:
        ```yaml
        - id: query
          type: io.kestra.plugin.jdbc.duckdb.Query
          url: jdbc:duckdb:/data/shop.duckdb
          sql: SELECT * FROM orders WHERE id = :id
          parameters:
            id: 42
          fetchType: FETCH_ONE
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.duckdb.Query"
    dialect: ClassVar[DuckDbDialect] = DIALECT
    url_required: ClassVar[bool] = False

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the SQL in a working folder holding ``inputFiles``; store ``outputFiles``."""
        return _run_in_folder(self, ctx)


class Queries(DuckDbFiles, BaseQueries):
    """Run several statements on DuckDB, in one transaction by default."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.duckdb.Queries"
    dialect: ClassVar[DuckDbDialect] = DIALECT
    url_required: ClassVar[bool] = False

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the SQL in a working folder holding ``inputFiles``; store ``outputFiles``."""
        return _run_in_folder(self, ctx)


class Trigger(JdbcTrigger):
    """Poll DuckDB with a query; start an execution when it returns rows."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.duckdb.Trigger"
    dialect: ClassVar[DuckDbDialect] = DIALECT
    url_required: ClassVar[bool] = False


def _run_in_folder(task: Query | Queries, ctx: RunContext) -> dict[str, Any]:
    with ctx.working_directory() as folder:
        variables = task.prepare(ctx, folder)
        private = task.private_database(ctx, folder)
        runner = (
            task if private is None else task.model_copy(update={"url": f"jdbc:duckdb:{private}"})
        )
        try:
            outputs = runner.outputs(ctx, variables)
        finally:
            if private is not None:
                DIALECT.release(private)  # closed, so the file is complete before it is stored
        if task.output_files:
            outputs["outputFiles"] = task.collect(ctx, folder)
        if private is not None and task.output_db_file:
            outputs["databaseUri"] = ctx.put_file(private, private.name)
    return outputs


__all__ = ["Queries", "Query", "Trigger"]
