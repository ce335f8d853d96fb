"""PostgreSQL's ``CopyIn`` (a file of the internal storage into a table) and ``CopyOut``.

Both stream through ``COPY ... FROM STDIN`` / ``TO STDOUT`` in chunks, so a large file
never sits in memory. The options are Kestra's, turned into COPY's ``WITH (...)`` list.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.plugin import TaskFailedError
from plugins.jdbc.postgres_dialect import PostgresDialect
from plugins.jdbc.task import JdbcTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

CHUNK_BYTES = 1024 * 1024
"""Bytes sent to the server, or written to the file, at a time."""


class CopyFormat(StrEnum):
    """COPY's file formats."""

    TEXT = "TEXT"
    CSV = "CSV"
    BINARY = "BINARY"


class PostgresCopy(JdbcTask):
    """What both directions share: the table, the format and COPY's options."""

    dialect: ClassVar[PostgresDialect] = PostgresDialect()

    table: str | None = None
    """The table (may be schema-qualified, ``public.orders``)."""
    columns: list[str] = Field(default_factory=list)
    """Only these columns, in this order (all when empty)."""
    format: CopyFormat = CopyFormat.TEXT
    """TEXT, CSV or BINARY."""
    header: bool | None = None
    """CSV: the file has (or gets) a header line."""
    delimiter: str | None = None
    """The character between columns (tab for TEXT, comma for CSV by default)."""
    null_string: str | None = None
    """How a NULL is written."""
    quote: str | None = None
    """CSV: the quoting character."""
    escape: str | None = None
    """CSV: the escaping character."""
    encoding: str | None = None
    """The file's encoding (the client's by default)."""
    force_quote: list[str] = Field(default_factory=list)
    """CopyOut, CSV: always quote these columns."""
    force_not_null: list[str] = Field(default_factory=list)
    """CopyIn, CSV: never read these columns as NULL."""
    force_null: list[str] = Field(default_factory=list)
    """CopyIn, CSV: read a quoted empty value of these columns as NULL."""
    oids: bool | None = None
    """Accepted for Kestra flows; PostgreSQL 12 and later have no OIDS option."""
    freeze: bool | None = None
    """CopyIn: write the rows frozen (the table must be new in this transaction)."""

    def copy_options(self, psycopg: Any) -> Any:
        """The ``WITH (...)`` list as composed SQL."""
        sql = psycopg.sql
        options = [sql.SQL("FORMAT {}").format(sql.SQL(self.format.value))]
        flags = {"HEADER": self.header, "FREEZE": self.freeze}
        for name, flag in flags.items():
            if flag is not None:
                options.append(sql.SQL(f"{name} {'true' if flag else 'false'}"))
        texts = {
            "DELIMITER": self.delimiter,
            "NULL": self.null_string,
            "QUOTE": self.quote,
            "ESCAPE": self.escape,
            "ENCODING": self.encoding,
        }
        for name, text in texts.items():
            if text is not None:
                options.append(sql.SQL(f"{name} {{}}").format(sql.Literal(text)))
        lists = {
            "FORCE_QUOTE": self.force_quote,
            "FORCE_NOT_NULL": self.force_not_null,
            "FORCE_NULL": self.force_null,
        }
        for name, columns in lists.items():
            if columns:
                identifiers = sql.SQL(", ").join(sql.Identifier(column) for column in columns)
                options.append(sql.SQL(f"{name} ({{}})").format(identifiers))
        return sql.SQL("WITH ({})").format(sql.SQL(", ").join(options))

    def table_sql(self, psycopg: Any, ctx: RunContext) -> Any:
        """The table and its columns as composed SQL."""
        sql = psycopg.sql
        name = ctx.render_text(self.table, "table")
        table = sql.Identifier(*name.split("."))
        if not self.columns:
            return table
        columns = sql.SQL(", ").join(sql.Identifier(column) for column in self.columns)
        return sql.SQL("{} ({})").format(table, columns)


class CopyIn(PostgresCopy):
    """Load a file of the internal storage into a table with ``COPY ... FROM STDIN``.

    Outputs ``rowCount``, the rows loaded.
    """

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.postgresql.CopyIn"

    from_: str = Field(alias="from")
    """The file's ``kestrel://`` URI (rendered)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Stream the file to the server."""
        target = self.target(ctx)
        psycopg = self.dialect.copy_module(target)
        if not self.table:
            raise TaskFailedError(f"task {self.id!r}: CopyIn needs a table", retryable=False)
        uri = ctx.render_text(self.from_, "from")
        statement = psycopg.sql.SQL("COPY {} FROM STDIN {}").format(
            self.table_sql(psycopg, ctx), self.copy_options(psycopg)
        )
        with ctx.storage.open(uri) as source, self.dialect.connect(target) as connection:
            cursor = connection.cursor()
            with cursor.copy(statement) as copy:
                while chunk := source.read(CHUNK_BYTES):
                    copy.write(chunk)
            count = cursor.rowcount
        ctx.logger.info(f"{count} row(s) copied into {self.table}")
        return {"rowCount": count}


class CopyOut(PostgresCopy):
    """Write a table, or the rows of ``sql``, to a file with ``COPY ... TO STDOUT``.

    Outputs ``uri`` (the file in the internal storage) and ``rowCount``.
    """

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.postgresql.CopyOut"

    sql: str | None = None
    """A query whose rows are written (rendered); else the whole ``table``."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Stream the rows to a file, then store it."""
        target = self.target(ctx)
        psycopg = self.dialect.copy_module(target)
        sql = psycopg.sql
        if self.sql:
            source = sql.SQL("({})").format(sql.SQL(ctx.render_text(self.sql, "sql")))
        elif self.table:
            source = self.table_sql(psycopg, ctx)
        else:
            raise TaskFailedError(
                f"task {self.id!r}: CopyOut needs a table or sql", retryable=False
            )
        statement = sql.SQL("COPY {} TO STDOUT {}").format(source, self.copy_options(psycopg))
        suffix = {"CSV": "csv", "BINARY": "bin"}.get(self.format.value, "txt")
        with ctx.working_directory() as folder:
            path = folder / f"{self.id}.{suffix}"
            with self.dialect.connect(target) as connection, path.open("wb") as out:
                cursor = connection.cursor()
                with cursor.copy(statement) as copy:
                    for chunk in copy:
                        out.write(chunk)
                count = cursor.rowcount
            uri = ctx.put_file(path)
        return {"uri": uri, "rowCount": count}


__all__ = ["CopyFormat", "CopyIn", "CopyOut", "PostgresCopy"]
