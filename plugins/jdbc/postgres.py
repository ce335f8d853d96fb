"""PostgreSQL: ``io.kestra.plugin.jdbc.postgresql.Query``, ``Queries`` and ``Trigger``."""

from __future__ import annotations

from typing import ClassVar

from plugins.jdbc.postgres_dialect import PostgresDialect
from plugins.jdbc.task import Queries as BaseQueries
from plugins.jdbc.task import Query as BaseQuery
from plugins.jdbc.trigger import JdbcTrigger

DIALECT = PostgresDialect()


class Query(BaseQuery):
    """Run SQL on PostgreSQL; outputs follow ``fetchType``.

    Example:
        ```yaml
        - id: query
          type: io.kestra.plugin.jdbc.postgresql.Query
          url: jdbc:postgresql://127.0.0.1/db
          sql: SELECT * FROM orders WHERE id = :id
          parameters:
            id: 42
          fetchType: FETCH_ONE
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.postgresql.Query"
    dialect: ClassVar[PostgresDialect] = DIALECT


class Queries(BaseQueries):
    """Run several statements on PostgreSQL, in one transaction by default."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.postgresql.Queries"
    dialect: ClassVar[PostgresDialect] = DIALECT


class Trigger(JdbcTrigger):
    """Poll PostgreSQL with a query; start an execution when it returns rows."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.postgresql.Trigger"
    dialect: ClassVar[PostgresDialect] = DIALECT


__all__ = ["Queries", "Query", "Trigger"]
