"""PostgreSQL's Query, Queries, CopyIn, CopyOut and Trigger against the local server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jdbc_helpers import closed_port, poll_context, postgres_properties, unique_table
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.plugin import MASK, TaskFailedError
from orchestrator.storage import LocalStorage
from plugins.jdbc.errors import JdbcConnectionError, JdbcQueryError
from plugins.jdbc.pools import MAX_IDLE
from plugins.jdbc.postgres import Trigger

QUERY = "io.kestra.plugin.jdbc.postgresql.Query"
QUERIES = "io.kestra.plugin.jdbc.postgresql.Queries"


@pytest.fixture
def postgres() -> dict[str, Any]:
    return postgres_properties()


@pytest.fixture
def table() -> str:
    return unique_table()


def _create(postgres: dict[str, Any], table: str, tmp_path: Path) -> None:
    run_task(
        {
            "type": QUERIES,
            **postgres,
            "sql": f"""
                CREATE TABLE {table} (id int PRIMARY KEY, name text, price numeric(6,2),
                                      created timestamptz DEFAULT '2024-01-02T03:04:05Z');
                INSERT INTO {table} (id, name, price) VALUES (1, 'apple', 1.25), (2, 'pear', 2);
                INSERT INTO {table} (id, name, price) VALUES (:id, :name, 3.5);
            """,
            "parameters": {"id": 3, "name": "fig; 50%"},
        },
        tmp_path,
    )


@pytest.fixture
def fruits(postgres: dict[str, Any], table: str, tmp_path: Path) -> Any:
    _create(postgres, table, tmp_path)
    yield table
    run_task({"type": QUERY, **postgres, "sql": f"DROP TABLE IF EXISTS {table}"}, tmp_path)


def test_each_fetch_type(postgres: dict[str, Any], fruits: str, tmp_path: Path) -> None:
    base = {"type": QUERY, **postgres, "sql": f"SELECT id, name, price, created FROM {fruits}"}
    one = run_task(
        {
            **base,
            "sql": base["sql"] + " WHERE id = :id",
            "parameters": {"id": 3},
            "fetchType": "FETCH_ONE",
        },
        tmp_path,
    )
    assert one["row"] == {
        "id": 3,
        "name": "fig; 50%",
        "price": 3.5,
        "created": "2024-01-02T03:04:05+00:00",
    }
    rows = run_task({**base, "sql": base["sql"] + " ORDER BY id", "fetchType": "FETCH"}, tmp_path)
    assert [row["name"] for row in rows["rows"]] == ["apple", "pear", "fig; 50%"]
    assert rows["size"] == 3
    stored = run_task({**base, "sql": base["sql"] + " ORDER BY id", "fetchType": "STORE"}, tmp_path)
    assert stored["size"] == 3 and stored["uri"].endswith(".ion")
    lines = LocalStorage(tmp_path / "storage").get(stored["uri"]).decode().splitlines()
    assert lines[0] == '{"id":1,"name":"apple","price":125d-2,"created":2024-01-02T03:04:05+00:00}'
    assert run_task({**base, "fetchType": "NONE"}, tmp_path) == {}


def test_queries_run_in_one_transaction(
    postgres: dict[str, Any], fruits: str, tmp_path: Path
) -> None:
    with pytest.raises(JdbcQueryError):
        run_task(
            {
                "type": QUERIES,
                **postgres,
                "sql": f"INSERT INTO {fruits} (id) VALUES (9); "
                f"INSERT INTO {fruits} (id) VALUES (1)",
            },
            tmp_path,
        )
    outputs = run_task(
        {
            "type": QUERIES,
            **postgres,
            "fetchType": "FETCH_ONE",
            "sql": f"SELECT count(*) AS n FROM {fruits}; SELECT 'x' AS y",
        },
        tmp_path,
    )
    assert outputs["outputs"] == [{"row": {"n": 3}, "size": 1}, {"row": {"y": "x"}, "size": 1}]


def test_copy_in_and_copy_out(postgres: dict[str, Any], fruits: str, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    uri = storage.put("company.team/flow/in.csv", b"id,name,price\n10,kiwi,4.5\n11,lime,0.5\n")
    copied = run_task(
        {
            "type": "io.kestra.plugin.jdbc.postgresql.CopyIn",
            **postgres,
            "table": fruits,
            "from": uri,
            "format": "CSV",
            "header": True,
            "columns": ["id", "name", "price"],
        },
        tmp_path,
    )
    assert copied == {"rowCount": 2}
    out = run_task(
        {
            "type": "io.kestra.plugin.jdbc.postgresql.CopyOut",
            **postgres,
            "format": "CSV",
            "header": True,
            "sql": f"SELECT id, name FROM {fruits} WHERE id >= 10 ORDER BY id",
        },
        tmp_path,
    )
    assert out["rowCount"] == 2
    assert storage.get(out["uri"]) == b"id,name\n10,kiwi\n11,lime\n"


def test_connections_are_pooled_per_url_and_user(postgres: dict[str, Any], tmp_path: Path) -> None:
    query = {
        "type": QUERY,
        **postgres,
        "sql": "SELECT pg_backend_pid() AS pid",
        "fetchType": "FETCH_ONE",
    }
    pids = {run_task(query, tmp_path)["row"]["pid"] for _ in range(8)}
    assert len(pids) <= MAX_IDLE  # a server process per connection: 8 without a pool


def test_a_bad_query_and_a_missing_table_name_the_task_and_server(
    postgres: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(JdbcQueryError) as bad:
        run_task({"id": "broken", "type": QUERY, **postgres, "sql": "SELEC 1"}, tmp_path)
    assert "task 'broken'" in str(bad.value) and "postgresql://127.0.0.1:5432/test" in str(
        bad.value
    )
    assert "syntax error" in str(bad.value) and bad.value.retryable is False
    with pytest.raises(JdbcQueryError, match='relation "no_such_table" does not exist'):
        run_task({"type": QUERY, **postgres, "sql": "SELECT * FROM no_such_table"}, tmp_path)


def test_a_refused_connection_is_clear_and_never_shows_the_password(tmp_path: Path) -> None:
    port = closed_port()
    task = task_of(
        {
            "id": "pg",
            "type": QUERY,
            "url": f"jdbc:postgresql://127.0.0.1:{port}/test",
            "username": "postgres",
            "password": "pa55-secret",
            "sql": "SELECT 1",
        }
    )
    logs = Logs()
    with pytest.raises(JdbcConnectionError) as caught:
        task.run(context_of(task, tmp_path, logs))
    message = str(caught.value)
    assert (
        f"task 'pg': cannot connect to postgresql://127.0.0.1:{port}/test as 'postgres'" in message
    )
    assert "refused" in message.lower()
    assert "pa55-secret" not in message and "pa55-secret" not in logs.text()
    assert isinstance(caught.value, TaskFailedError) and caught.value.retryable


def test_the_trigger_fires_only_when_the_query_has_rows(
    postgres: dict[str, Any], fruits: str, tmp_path: Path
) -> None:
    trigger = Trigger.model_validate(
        {
            "id": "watch",
            "type": Trigger.type_name,
            **postgres,
            "sql": f"SELECT id FROM {fruits} WHERE id > :min ORDER BY id",
            "parameters": {"min": 2},
            "fetchType": "FETCH",
        }
    )
    [poll] = trigger.evaluate(poll_context())
    assert poll.variables == {"rows": [{"id": 3}], "size": 1}
    empty = trigger.model_copy(update={"parameters": {"min": 100}})
    assert empty.evaluate(poll_context()) == []


def test_the_password_is_a_secret_of_the_run(postgres: dict[str, Any], tmp_path: Path) -> None:
    # The local server trusts any password; a query echoing it shows the worker masks it.
    task = task_of(
        {
            "type": QUERY,
            **postgres,
            "password": "echoed-pa55",
            "sql": "SELECT :p AS echoed",
            "parameters": {"p": "echoed-pa55"},
            "fetchType": "FETCH_ONE",
        }
    )
    context = context_of(task, tmp_path)
    assert context.mask_value(task.run(context)) == {"row": {"echoed": MASK}, "size": 1}
