"""A PostgreSQL polling Trigger starting executions through the scheduler and the broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jdbc_helpers import postgres_properties, unique_table
from plugin_context import run_task
from runtime_helpers import Cluster
from scheduler_helpers import FiredWatcher, write_flow

from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import ensure_topics
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration

QUERY = "io.kestra.plugin.jdbc.postgresql.Query"

WATCHING = """id: watching
namespace: tests.jdbc
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.size }}}} new order(s), the first {{{{ trigger.rows[0].item }}}}"
triggers:
  - id: orders
    type: io.kestra.plugin.jdbc.postgresql.Trigger
    url: {url}
    username: {username}
    sql: SELECT id, item FROM {table} WHERE id > :since ORDER BY id
    parameters:
      since: 1
    fetchType: FETCH
    interval: PT0.2S
"""


@pytest.fixture
def orders(tmp_path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    properties, table = postgres_properties(), unique_table()
    run_task(
        {"type": QUERY, **properties, "sql": f"CREATE TABLE {table} (id int, item text)"}, tmp_path
    )
    yield properties, table
    run_task({"type": QUERY, **properties, "sql": f"DROP TABLE IF EXISTS {table}"}, tmp_path)


def test_a_postgres_trigger_starts_an_execution_once_rows_appear(
    settings: KestrelSettings, tmp_path: Path, orders: tuple[dict[str, Any], str]
) -> None:
    properties, table = orders
    ensure_topics(settings)
    cluster = Cluster(settings, tmp_path)
    fired = FiredWatcher(settings)
    try:
        write_flow(tmp_path / "flows", "watching", WATCHING.format(table=table, **properties))
        deploy_files(settings, [tmp_path / "flows"])
        cluster.start("scheduler", "scheduler-0")
        # Rows appear once the scheduler runs; only those past :since are reported.
        run_task(
            {
                "type": QUERY,
                **properties,
                "sql": f"INSERT INTO {table} VALUES (1, 'old'), (2, 'tea'), (3, 'cup')",
            },
            tmp_path,
        )
        fired.wait(lambda: len(fired.fired("watching")) >= 1, 60, "an execution of the trigger")
        trigger = fired.fired("watching")[0].trigger
        assert trigger is not None
        assert trigger.variables == {
            "rows": [{"id": 2, "item": "tea"}, {"id": 3, "item": "cup"}],
            "size": 2,
        }
    finally:
        fired.close()
        cluster.stop()
