"""MySQL and MariaDB: ``io.kestra.plugin.jdbc.mysql.Query``, ``Queries`` and ``Trigger``."""

from __future__ import annotations

from typing import ClassVar

from plugins.jdbc.mysql_dialect import MysqlDialect
from plugins.jdbc.task import Queries as BaseQueries
from plugins.jdbc.task import Query as BaseQuery
from plugins.jdbc.trigger import JdbcTrigger

DIALECT = MysqlDialect()


class Query(BaseQuery):
    """Run SQL on MySQL and MariaDB; outputs follow ``fetchType``.

    Example:
        ```yaml
        - id: query
          type: io.kestra.plugin.jdbc.mysql.Query
          url: jdbc:mysql://127.0.0.1/db
          sql: SELECT * FROM orders WHERE id = :id
          parameters:
            id: 42
          fetchType: FETCH_ONE
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.mysql.Query"
    dialect: ClassVar[MysqlDialect] = DIALECT


class Queries(BaseQueries):
    """Run several statements on MySQL and MariaDB, in one transaction by default."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.mysql.Queries"
    dialect: ClassVar[MysqlDialect] = DIALECT


class Trigger(JdbcTrigger):
    """Poll MySQL and MariaDB with a query; start an execution when it returns rows."""

    type_name: ClassVar[str] = "io.kestra.plugin.jdbc.mysql.Trigger"
    dialect: ClassVar[MysqlDialect] = DIALECT


__all__ = ["Queries", "Query", "Trigger"]
