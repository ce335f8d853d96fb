"""The JDBC plugin's pure parts: SQL splitting, parameter binding, Ion text, JDBC URLs."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from plugin_context import run_task, task_of
from pydantic import ValidationError

from plugins.extras import MissingExtraError
from plugins.jdbc.dialect import Target
from plugins.jdbc.errors import JdbcQueryError, JdbcUrlError
from plugins.jdbc.ion import ion_text
from plugins.jdbc.postgres_dialect import PostgresDialect, connection_arguments
from plugins.jdbc.results import FetchType, output_value, resolve_fetch_type
from plugins.jdbc.sqltext import bind, first_keyword, split_statements
from plugins.jdbc.urls import parse_file_url, parse_server_url


def test_statements_split_on_semicolons_outside_literals_and_comments() -> None:
    sql = """
        -- a comment; not a statement
        CREATE TABLE t (a text);
        INSERT INTO t VALUES ('x;y'), ("q;r");
        /* block; comment */
        DO $body$ BEGIN PERFORM 1; END $body$;
        ;
    """
    assert split_statements(sql) == [
        "-- a comment; not a statement\n        CREATE TABLE t (a text)",
        "INSERT INTO t VALUES ('x;y'), (\"q;r\")",
        "/* block; comment */\n        DO $body$ BEGIN PERFORM 1; END $body$",
    ]


def test_named_parameters_take_each_driver_style_and_leave_literals_and_casts() -> None:
    sql = "SELECT :a, ':b', x::text, '50%' FROM t WHERE y = :a AND z = :c"
    text, values = bind(sql, {"a": 1, "c": "z", "unused": 0}, "pyformat")
    assert text == "SELECT %(a)s, ':b', x::text, '50%%' FROM t WHERE y = %(a)s AND z = %(c)s"
    assert values == {"a": 1, "c": "z"}
    assert bind(sql, {"a": 1, "c": 2}, "dollar")[0].startswith("SELECT $a, ':b', x::text")
    assert bind(sql, {"a": 1, "c": 2}, "named")[0] == sql


def test_sql_without_parameters_is_untouched() -> None:
    assert bind("SELECT '100%' :: text", {}, "pyformat") == ("SELECT '100%' :: text", None)
    assert bind("SELECT 1", {"a": 1}, "pyformat") == ("SELECT 1", None)


def test_a_parameter_missing_from_parameters_is_named() -> None:
    with pytest.raises(JdbcQueryError, match=":missing"):
        bind("SELECT :missing", {"other": 1}, "pyformat")


def test_first_keyword_skips_comments() -> None:
    assert first_keyword("-- hi\n/* x */ insert into t values (1)") == "INSERT"
    assert first_keyword("  select 1") == "SELECT"


def test_rows_are_written_as_ion_text() -> None:
    row = {
        "n": 1,
        "f": 1.5,
        "d": Decimal("12.30"),
        "s": 'a "q"',
        "t": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "naive": datetime(2024, 1, 2, 3, 4, 5),
        "day": date(2024, 1, 2),
        "b": b"\x00\x01",
        "none": None,
        "ok": True,
        "list": [1, "x"],
    }
    assert ion_text(row) == (
        '{"n":1,"f":1.5e0,"d":1230d-2,"s":"a \\"q\\"","t":2024-01-02T03:04:05+00:00,'
        '"naive":2024-01-02T03:04:05-00:00,"day":2024-01-02T,"b":{{AAE=}},"none":null,'
        '"ok":true,"list":[1,"x"]}'
    )
    assert ion_text(float("nan")) == "nan" and ion_text(float("-inf")) == "-inf"


def test_output_values_are_json_types() -> None:
    assert output_value(Decimal("2")) == 2
    assert output_value(Decimal("2.5")) == 2.5
    assert output_value(date(2024, 1, 2)) == "2024-01-02"
    assert output_value(b"\x00") == "AA=="


def test_deprecated_booleans_resolve_in_kestras_order() -> None:
    assert resolve_fetch_type(None, fetch=True, fetch_one=True, store=True) is FetchType.FETCH_ONE
    assert resolve_fetch_type(None, fetch=True, fetch_one=False, store=True) is FetchType.STORE
    assert resolve_fetch_type(None, fetch=False, fetch_one=False, store=False) is FetchType.NONE
    assert resolve_fetch_type(FetchType.FETCH, fetch=False, fetch_one=True, store=False) is (
        FetchType.FETCH
    )


def test_server_urls_parse_and_display_without_secrets() -> None:
    url = parse_server_url(
        "jdbc:postgresql://db.example:6543/shop?sslmode=require&password=hunter2",
        ("postgresql",),
        5432,
    )
    assert (url.host, url.port, url.database) == ("db.example", 6543, "shop")
    assert url.parameters["sslmode"] == "require"
    assert url.display() == "postgresql://db.example:6543/shop"
    assert url.secrets() == {"hunter2"}
    assert parse_server_url("jdbc:mariadb://h/db", ("mysql", "mariadb"), 3306).port == 3306


def test_file_urls_parse_memory_and_paths() -> None:
    assert parse_file_url("jdbc:duckdb:", ("duckdb",)).path is None
    assert parse_file_url("jdbc:sqlite::memory:", ("sqlite",)).path is None
    assert parse_file_url("jdbc:sqlite:/tmp/x.db", ("sqlite",)).path == "/tmp/x.db"


def test_a_url_of_another_database_is_refused_without_its_query_string() -> None:
    with pytest.raises(JdbcUrlError) as caught:
        parse_server_url("jdbc:mysql://h/db?password=hunter2", ("postgresql",), 5432)
    assert "hunter2" not in str(caught.value)
    assert "jdbc:postgresql:" in str(caught.value)


def test_a_server_task_without_url_fails_validation() -> None:
    with pytest.raises(ValidationError, match="needs a url"):
        task_of({"type": "io.kestra.plugin.jdbc.postgresql.Query", "sql": "SELECT 1"})
    assert task_of({"type": "io.kestra.plugin.jdbc.duckdb.Query", "sql": "SELECT 1"}).id == "t"


def test_a_missing_driver_fails_the_run_with_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # an import of it now fails
    with pytest.raises(MissingExtraError, match=r"install kestrelflow\[jdbc\]"):
        run_task({"type": "io.kestra.plugin.jdbc.duckdb.Query", "sql": "SELECT 1"}, tmp_path)


def test_drivers_are_not_imported_by_validation() -> None:
    code = (
        "import sys\n"
        "from orchestrator.tasks.base import TASK_TYPES\n"
        "for name in TASK_TYPES.names():\n"
        "    if '.jdbc.' in name or 'notifications' in name or '.email.' in name:\n"
        "        TASK_TYPES.resolve(name)\n"
        "import plugins.jdbc.postgres, plugins.jdbc.mysql, plugins.jdbc.duckdb\n"
        "import plugins.jdbc.sqlite, plugins.jdbc.postgres_copy, plugins.notifications\n"
        "print(sorted(m for m in ('psycopg', 'psycopg_pool', 'pymysql', 'duckdb')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_postgres_url_parameters_become_libpq_keywords() -> None:
    dialect = PostgresDialect()
    url = dialect.parse(
        "jdbc:postgresql://h:5433/db?ssl=true&currentSchema=sales&loginTimeout=5&sslrootcert=/ca"
    )
    arguments = connection_arguments(Target(url, "u", "p", "task 't'", "x"))
    assert arguments == {
        "sslmode": "require",
        "sslrootcert": "/ca",
        "options": "-c search_path=sales",
        "connect_timeout": 10,
        "host": "h",
        "port": 5433,
        "dbname": "db",
        "user": "u",
        "password": "p",
    }
