"""JDBC tasks and triggers: PostgreSQL, MySQL/MariaDB, DuckDB and SQLite, under Kestra's names.

Drivers (psycopg with psycopg-pool, PyMySQL, duckdb; sqlite3 is Python's own) come with
``pip install kestrelflow[jdbc]`` and are imported only when a task runs, so flows validate
without them. Connections are pooled per worker process, one pool per URL and user.
"""

from plugins.jdbc.errors import JdbcConnectionError, JdbcError, JdbcQueryError, JdbcUrlError
from plugins.jdbc.pools import close_all
from plugins.jdbc.results import FetchType
from plugins.jdbc.task import Queries, Query
from plugins.jdbc.trigger import JdbcTrigger

__all__ = [
    "FetchType",
    "JdbcConnectionError",
    "JdbcError",
    "JdbcQueryError",
    "JdbcTrigger",
    "JdbcUrlError",
    "Queries",
    "Query",
    "close_all",
]
