"""DuckDB's and SQLite's Query, Queries and Trigger on files of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from jdbc_helpers import poll_context
from plugin_context import run_task

from orchestrator.models.flow import Flow
from orchestrator.storage import LocalStorage
from plugins.jdbc.duckdb import Trigger as DuckDbTrigger
from plugins.jdbc.errors import JdbcConnectionError, JdbcQueryError
from plugins.jdbc.results import FetchType
from plugins.jdbc.sqlite import Trigger as SqliteTrigger

SETUP = """
    CREATE TABLE fruits (id integer, name varchar, price decimal(6,2));
    INSERT INTO fruits VALUES (1, 'apple', 1.25), (2, 'pear', 2);
    INSERT INTO fruits VALUES (:id, :name, 3.5);
"""


@pytest.mark.parametrize("db", ["duckdb", "sqlite"])
def test_each_fetch_type_with_parameters(db: str, tmp_path: Path) -> None:
    url = f"jdbc:{db}:{tmp_path / 'shop.db'}"
    queries = {"type": f"io.kestra.plugin.jdbc.{db}.Queries", "url": url}
    run_task({**queries, "sql": SETUP, "parameters": {"id": 3, "name": "fig"}}, tmp_path)
    query = {
        "type": f"io.kestra.plugin.jdbc.{db}.Query",
        "url": url,
        "sql": "SELECT id, name FROM fruits WHERE id >= :min ORDER BY id",
        "parameters": {"min": 2},
    }
    assert run_task({**query, "fetchType": "FETCH_ONE"}, tmp_path)["row"] == {
        "id": 2,
        "name": "pear",
    }
    assert run_task({**query, "fetchType": "FETCH"}, tmp_path)["size"] == 2
    stored = run_task({**query, "fetchType": "STORE"}, tmp_path)
    assert LocalStorage(tmp_path / "storage").get(stored["uri"]) == (
        b'{"id":2,"name":"pear"}\n{"id":3,"name":"fig"}\n'
    )
    assert run_task({**query, "fetchType": "NONE"}, tmp_path) == {}
    # Writes report no rows (DuckDB answers them with a count row, which is not a result).
    assert run_task(
        {**queries, "sql": "DELETE FROM fruits WHERE id = 1", "fetchType": "FETCH"}, tmp_path
    ) == {"outputs": []}


@pytest.mark.parametrize("db", ["duckdb", "sqlite"])
def test_a_missing_table_and_a_bad_path_are_clear(db: str, tmp_path: Path) -> None:
    query = {"id": "q", "type": f"io.kestra.plugin.jdbc.{db}.Query", "sql": "SELECT * FROM nope"}
    with pytest.raises(JdbcQueryError, match=rf"task 'q': query failed on {db}:.*nope"):
        run_task({**query, "url": f"jdbc:{db}:{tmp_path / 'x.db'}"}, tmp_path)
    with pytest.raises(
        JdbcConnectionError, match=rf"task 'q': cannot connect to {db}:/no/such/dir"
    ):
        run_task({**query, "url": f"jdbc:{db}:/no/such/dir/x.db"}, tmp_path)


def test_duckdb_reads_input_files_and_stores_output_files(tmp_path: Path) -> None:
    outputs = run_task(
        {
            "type": "io.kestra.plugin.jdbc.duckdb.Queries",
            "inputFiles": {"data.csv": "a,b\n1,x\n2,y\n"},
            "outputFiles": ["out.csv"],
            "sql": """
                CREATE TABLE t AS SELECT * FROM read_csv_auto('{{ workingDir }}/data.csv');
                COPY (SELECT a * 10 AS a FROM t ORDER BY a) TO '{{ outputFiles["out.csv"] }}'
                    (HEADER, DELIMITER ',');
                SELECT count(*) AS n FROM t;
            """,
            "fetchType": "FETCH_ONE",
        },
        tmp_path,
    )
    assert outputs["outputs"] == [{"row": {"n": 2}, "size": 1}]
    assert (
        LocalStorage(tmp_path / "storage").get(outputs["outputFiles"]["out.csv"]) == b"a\n10\n20\n"
    )


def test_an_in_memory_duckdb_needs_no_url(tmp_path: Path) -> None:
    outputs = run_task(
        {
            "type": "io.kestra.plugin.jdbc.duckdb.Query",
            "sql": "SELECT 42 AS x",
            "fetchType": "FETCH",
        },
        tmp_path,
    )
    assert outputs == {"rows": [{"x": 42}], "size": 1}


@pytest.mark.parametrize("trigger_class", [DuckDbTrigger, SqliteTrigger])
def test_triggers_fire_on_rows_and_store_them(
    trigger_class: type[DuckDbTrigger] | type[SqliteTrigger],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = "duckdb" if trigger_class is DuckDbTrigger else "sqlite"
    url = f"jdbc:{db}:{tmp_path / 'shop.db'}"
    run_task(
        {
            "type": f"io.kestra.plugin.jdbc.{db}.Queries",
            "url": url,
            "sql": SETUP,
            "parameters": {"id": 3, "name": "fig"},
        },
        tmp_path,
    )
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", str(tmp_path / "storage"))
    trigger = trigger_class.model_validate(
        {
            "id": "watch",
            "type": trigger_class.type_name,
            "url": url,
            "sql": "SELECT id FROM fruits WHERE id > 1",
            "fetchType": "STORE",
            "interval": "PT1S",
        }
    )
    [poll] = trigger.evaluate(poll_context())
    assert poll.variables["size"] == 2
    assert LocalStorage(tmp_path / "storage").get(poll.variables["uri"]) == b'{"id":2}\n{"id":3}\n'
    counted = trigger.model_copy(update={"fetch_type": FetchType.NONE})
    assert counted.evaluate(poll_context())[0].variables == {"size": 2}
    none = trigger.model_copy(update={"sql": "SELECT id FROM fruits WHERE id > 100"})
    assert none.evaluate(poll_context()) == []


def test_duckdb_outputs_its_database_file_and_runs_on_a_stored_one(tmp_path: Path) -> None:
    query = {"type": "io.kestra.plugin.jdbc.duckdb.Queries", "outputDbFile": True}
    made = run_task({**query, "sql": "CREATE TABLE t AS SELECT 7 AS x"}, tmp_path)
    assert made["databaseUri"].endswith("database.duckdb")
    read = run_task(
        {
            "type": "io.kestra.plugin.jdbc.duckdb.Query",
            "databaseUri": made["databaseUri"],
            "sql": "SELECT x FROM t",
            "fetchType": "FETCH_ONE",
        },
        tmp_path,
    )
    assert read["row"] == {"x": 7}


def test_plugin_defaults_by_prefix_reach_tasks_and_triggers() -> None:
    flow = Flow.model_validate(
        {
            "id": "f",
            "namespace": "company.team",
            "tasks": [
                {"id": "q", "type": "io.kestra.plugin.jdbc.postgresql.Query", "sql": "SELECT 1"}
            ],
            "triggers": [
                {"id": "w", "type": "io.kestra.plugin.jdbc.postgresql.Trigger", "sql": "SELECT 1"}
            ],
            "pluginDefaults": [
                {
                    "type": "io.kestra.plugin.jdbc.postgresql",
                    "values": {"url": "jdbc:postgresql://h/db"},
                }
            ],
        }
    )
    assert getattr(flow.tasks[0], "url", None) == "jdbc:postgresql://h/db"
    assert getattr(flow.triggers[0], "url", None) == "jdbc:postgresql://h/db"


def test_sqlite_outputs_its_database_file_and_runs_on_a_stored_one(tmp_path: Path) -> None:
    made = run_task(
        {
            "type": "io.kestra.plugin.jdbc.sqlite.Queries",
            "url": "jdbc:sqlite:shop.db",
            "outputDbFile": True,
            "sql": "CREATE TABLE t (x); INSERT INTO t VALUES (7)",
        },
        tmp_path,
    )
    assert made["databaseUri"].endswith("/shop.db")
    read = run_task(
        {
            "type": "io.kestra.plugin.jdbc.sqlite.Query",
            "url": "jdbc:sqlite:shop.db",
            "sqliteFile": made["databaseUri"],
            "sql": "SELECT x FROM t",
            "fetchType": "FETCH_ONE",
        },
        tmp_path,
    )
    assert read["row"] == {"x": 7}
