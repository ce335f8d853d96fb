"""MySQL/MariaDB's Query, Queries and Trigger against the local MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jdbc_helpers import mysql_properties, poll_context, unique_table
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.storage import LocalStorage
from plugins.jdbc.errors import JdbcConnectionError, JdbcQueryError
from plugins.jdbc.mysql import Trigger
from plugins.jdbc.pools import MAX_IDLE

QUERY = "io.kestra.plugin.jdbc.mysql.Query"
QUERIES = "io.kestra.plugin.jdbc.mysql.Queries"


@pytest.fixture
def mysql() -> dict[str, Any]:
    return mysql_properties()


@pytest.fixture
def table() -> str:
    return unique_table()


@pytest.fixture
def fruits(mysql: dict[str, Any], table: str, tmp_path: Path) -> Iterator[str]:
    run_task(
        {
            "type": QUERIES,
            **mysql,
            "sql": f"""
                CREATE TABLE {table} (id int PRIMARY KEY, name varchar(20), price decimal(6,2),
                                      day date);
                INSERT INTO {table} VALUES (1, 'apple', 1.25, '2024-01-02'), (2, 'pear', 2, NULL);
                INSERT INTO {table} VALUES (:id, :name, 3.5, NULL);
            """,
            "parameters": {"id": 3, "name": "fig; 50%"},
        },
        tmp_path,
    )
    yield table
    run_task({"type": QUERY, **mysql, "sql": f"DROP TABLE IF EXISTS {table}"}, tmp_path)


def test_each_fetch_type(mysql: dict[str, Any], fruits: str, tmp_path: Path) -> None:
    base = {"type": QUERY, **mysql, "sql": f"SELECT id, name, price, day FROM {fruits} ORDER BY id"}
    assert run_task({**base, "fetchType": "FETCH_ONE"}, tmp_path)["row"] == {
        "id": 1,
        "name": "apple",
        "price": 1.25,
        "day": "2024-01-02",
    }
    fetched = run_task({**base, "fetchType": "FETCH"}, tmp_path)
    assert [row["name"] for row in fetched["rows"]] == ["apple", "pear", "fig; 50%"]
    stored = run_task({**base, "fetchType": "STORE"}, tmp_path)
    lines = LocalStorage(tmp_path / "storage").get(stored["uri"]).decode().splitlines()
    assert stored["size"] == 3 and lines[1] == '{"id":2,"name":"pear","price":200d-2,"day":null}'
    assert run_task(base, tmp_path) == {}


def test_parameters_are_sent_apart_from_the_sql(
    mysql: dict[str, Any], fruits: str, tmp_path: Path
) -> None:
    outputs = run_task(
        {
            "type": QUERY,
            **mysql,
            "sql": f"SELECT id FROM {fruits} WHERE name = :name",
            "parameters": {"name": "x' OR '1'='1"},
            "fetchType": "FETCH",
        },
        tmp_path,
    )
    assert outputs == {"rows": [], "size": 0}


def test_connections_are_pooled(mysql: dict[str, Any], tmp_path: Path) -> None:
    query = {"type": QUERY, **mysql, "sql": "SELECT CONNECTION_ID() AS c", "fetchType": "FETCH_ONE"}
    assert len({run_task(query, tmp_path)["row"]["c"] for _ in range(8)}) <= MAX_IDLE


def test_a_missing_table_names_the_task_and_server(mysql: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(JdbcQueryError) as caught:
        run_task(
            {"id": "q", "type": QUERY, **mysql, "sql": "SELECT * FROM no_such_table"}, tmp_path
        )
    assert str(caught.value).startswith("task 'q': query failed on mysql://127.0.0.1:3306/test")
    assert "no_such_table' doesn't exist" in str(caught.value)


def test_a_bad_credential_is_clear_and_never_shows_the_password(tmp_path: Path) -> None:
    task = task_of(
        {
            "id": "db",
            "type": QUERY,
            "url": "jdbc:mysql://127.0.0.1:3306/test",
            "username": "root",
            "password": "wrong-pa55",
            "sql": "SELECT 1",
        }
    )
    logs = Logs()
    with pytest.raises(JdbcConnectionError) as caught:
        task.run(context_of(task, tmp_path, logs))
    message = str(caught.value)
    assert "task 'db': cannot connect to mysql://127.0.0.1:3306/test as 'root'" in message
    assert "Access denied" in message
    assert "wrong-pa55" not in message and "wrong-pa55" not in logs.text()


def test_the_trigger_fires_with_the_first_row(
    mysql: dict[str, Any], fruits: str, tmp_path: Path
) -> None:
    trigger = Trigger.model_validate(
        {
            "id": "watch",
            "type": Trigger.type_name,
            **mysql,
            "sql": f"SELECT name FROM {fruits} WHERE price > 3",
            "fetchType": "FETCH_ONE",
        }
    )
    [poll] = trigger.evaluate(poll_context())
    assert poll.variables == {"row": {"name": "fig; 50%"}, "size": 1}
