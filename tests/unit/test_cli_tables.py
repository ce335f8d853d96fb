"""Small output and reporting rules of the CLI: tables, stats, `server local`'s exports."""

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

from rich.console import Console

from orchestrator.cli.executions import print_executions
from orchestrator.models.state import StateType
from orchestrator.repository.executions import ExecutionSummary
from orchestrator.repository.query import Page

LONG_FLOW = "kestrel.examples.a-rather-long-flow-identifier-for-reports"


def test_execution_list_never_wraps_a_flow_id_at_80_columns() -> None:
    summary = ExecutionSummary(
        id="3yC3e6E8sqKFvhlXv9kdu3",
        namespace="kestrel.examples",
        flow_id="a-rather-long-flow-identifier-for-reports",
        flow_revision=1,
        state=StateType.SUCCESS,
        seq=4,
        start_date=datetime(2025, 1, 1, tzinfo=UTC),
        duration_ms=1200,
    )
    stream = StringIO()
    print_executions(
        Page(items=[summary], total=1, page=1, size=20),
        Console(file=stream, width=80, highlight=False, color_system=None),
    )
    lines = stream.getvalue().splitlines()
    assert any(LONG_FLOW in line and "3yC3e6E8sqKFvhlXv9kdu3" in line for line in lines), lines


def test_stats_counts_only_failed_executions_as_failing() -> None:
    from typing import Any

    from orchestrator.repository.stats import StatsRepository

    queries: list[Any] = []

    class Recording(StatsRepository):
        def __init__(self) -> None:
            pass

        def _base(self, *args: Any) -> list[Any]:
            return []

        def _days(self, *args: Any) -> str:
            return "days"

        def _aggregate(
            self, what: str, index: str, query: Any, aggs: dict[str, Any]
        ) -> dict[str, Any]:
            queries.append(query)
            return {"flows": {"buckets": []}}

    assert Recording().top_failing_flows(datetime(2025, 1, 1, tzinfo=UTC)) == []
    assert "KILLED" not in str(queries[0]) and "FAILED" in str(queries[0])


def test_server_local_export_line_has_an_absolute_path(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from orchestrator.cli.services import export_lines

    monkeypatch.chdir(tmp_path)
    lines = export_lines("127.0.0.1:9092", "http://127.0.0.1:9200", Path(".kestrel/data"))
    secret = next(line for line in lines if "SECRET_KEY" in line)
    assert f"$(cat {tmp_path / '.kestrel/data/secret.key'})" in secret
    assert not any("IDLE_AFTER" in line for line in lines)


def test_server_local_export_lines_rest_the_other_terminals_consumers() -> None:
    from orchestrator.cli.services import export_lines

    lines = export_lines("127.0.0.1:9092", "http://127.0.0.1:9200", Path("data"), 0.5)
    assert lines[-1] == "export KESTREL_KAFKA__IDLE_AFTER=0.5"
