"""JDBC task figures: the cost of one Query run with the worker's pool, and without one.

Runs the same ``io.kestra.plugin.jdbc.postgresql.Query`` (``SELECT 1``, FETCH_ONE)
in-process, through the task's code, ``--runs`` times; then opens a fresh psycopg
connection per query, as a task without a pool would. Needs the local PostgreSQL
(127.0.0.1:5432, database ``test``, trust authentication). It prints figures; it asserts
nothing.

    .venv/bin/python bench/jdbc_pool.py [--runs 500] [--url jdbc:postgresql://...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from plugin_context import context_of, task_of

from plugins.jdbc.dialect import Target
from plugins.jdbc.postgres_dialect import PostgresDialect, connection_arguments


def _timed(runs: int, once: Callable[[], object]) -> list[float]:
    once()  # warm-up: the pool is made, the modules are imported
    laps = []
    for _ in range(runs):
        start = time.perf_counter()
        once()
        laps.append((time.perf_counter() - start) * 1000)
    return laps


def _report(name: str, laps: list[float]) -> None:
    laps.sort()
    p99 = laps[min(len(laps) - 1, int(len(laps) * 0.99))]
    print(
        f"{name:<28} median {statistics.median(laps):7.2f} ms   p99 {p99:7.2f} ms   "
        f"{len(laps) / (sum(laps) / 1000):8.0f} runs/s"
    )


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--url", default="jdbc:postgresql://127.0.0.1:5432/test")
    parser.add_argument("--username", default="postgres")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        task = task_of(
            {
                "type": "io.kestra.plugin.jdbc.postgresql.Query",
                "url": options.url,
                "username": options.username,
                "sql": "SELECT 1 AS one",
                "fetchType": "FETCH_ONE",
            }
        )
        context = context_of(task, Path(folder))
        _report("Query task, pooled", _timed(options.runs, lambda: task.run(context)))

    import psycopg

    dialect = PostgresDialect()
    target = Target(dialect.parse(options.url), options.username, None, "bench", "bench")
    arguments = connection_arguments(target)

    def fresh() -> object:
        with psycopg.connect(**arguments, autocommit=True) as connection:
            return connection.execute("SELECT 1 AS one").fetchone()

    _report("fresh connection per query", _timed(options.runs, fresh))


if __name__ == "__main__":
    main()
