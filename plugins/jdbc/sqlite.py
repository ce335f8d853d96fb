"""SQLite: ``io.kestra.plugin.jdbc.sqlite.Query``, ``Queries`` and ``Trigger``."""

from __future__ import annotations

from typing import ClassVar

from plugins.jdbc.embedded_dialects import SqliteDialect
from plugins.jdbc.task import Queries as BaseQueries
from plugins.jdbc.task import Query as BaseQuery
from plugins.jdbc.trigger import JdbcTrigger

DIALECT = SqliteDialect()


class Query(BaseQuery):
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


class Queries(BaseQueries):
    """Run several statements on SQLite, in one transaction by default."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.sqlite.Queries"
    dialect: ClassVar[SqliteDialect] = DIALECT
    url_required: ClassVar[bool] = False


class Trigger(JdbcTrigger):
    """Poll SQLite with a query; start an execution when it returns rows."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.sqlite.Trigger"
    dialect: ClassVar[SqliteDialect] = DIALECT
    url_required: ClassVar[bool] = False


__all__ = ["Queries", "Query", "Trigger"]
