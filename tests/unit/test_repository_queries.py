from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from indexer_samples import T0, flow_record, snapshots, trigger_state

from orchestrator.cli.executions import format_duration_ms
from orchestrator.cli.options import parse_age, parse_labels
from orchestrator.models.state import StateType
from orchestrator.repository import (
    ExecutionFilter,
    ExecutionSummary,
    IndexKind,
    IndexNames,
    InvalidQueryError,
    LogFilter,
)
from orchestrator.repository.documents import (
    execution_document,
    flow_document,
    flow_from_document,
    trigger_document,
    trigger_from_document,
)
from orchestrator.repository.executions import execution_query, parse_sort
from orchestrator.repository.logs import levels_from, log_query
from orchestrator.repository.mappings import PROPERTIES, index_template, mappings
from orchestrator.repository.query import check_page, escape_wildcard
from orchestrator.repository.stats import auto_interval, fixed_interval, nearest_rank
from orchestrator.tasks.base import LogLevel

NAMES = IndexNames("kestrel-")


def test_index_names() -> None:
    assert NAMES.alias(IndexKind.EXECUTIONS) == "kestrel-executions"
    assert NAMES.physical(IndexKind.TASKRUNS, 2) == "kestrel-taskruns-000002"
    assert NAMES.number_of(IndexKind.TASKRUNS, "kestrel-taskruns-000002") == 2
    assert NAMES.number_of(IndexKind.FLOWS, "kestrel-flow-revisions-000001") is None
    assert NAMES.search_target(IndexKind.LOGS) == "kestrel-logs-*"
    assert NAMES.daily(IndexKind.METRICS, date(2026, 1, 2)) == "kestrel-metrics-2026.01.02"
    late = datetime(2026, 1, 2, 23, 30, tzinfo=UTC) + timedelta(hours=1)  # next UTC day
    assert NAMES.daily(IndexKind.LOGS, late) == "kestrel-logs-2026.01.03"
    assert NAMES.day_of(IndexKind.LOGS, "kestrel-logs-2026.01.03") == date(2026, 1, 3)
    assert NAMES.day_of(IndexKind.LOGS, "kestrel-metrics-2026.01.03") is None
    assert NAMES.day_of(IndexKind.LOGS, "kestrel-logs-2026.13.40") is None
    with pytest.raises(ValueError, match="daily"):
        NAMES.alias(IndexKind.LOGS)


def test_every_mapping_is_strict_about_dynamic_fields_and_dated_for_kibana() -> None:
    for kind in IndexKind:
        body = mappings(kind)
        assert body["dynamic"] is False
        assert body["properties"]["@timestamp"] == {"type": "date"}
        assert body["properties"]["namespace"] == {"type": "keyword"}
    execution = PROPERTIES[IndexKind.EXECUTIONS]
    assert execution["labels"]["type"] == "nested"
    assert execution["outputs"] == {"type": "object", "enabled": False}
    assert execution["state"]["properties"]["current"] == {"type": "keyword"}
    assert execution["durationMs"] == {"type": "long"}
    template = index_template(NAMES, IndexKind.LOGS)
    assert template["index_patterns"] == ["kestrel-logs-*"]
    assert "aliases" not in template["template"]


def _filters(query: dict[str, Any]) -> list[dict[str, Any]]:
    return query["bool"]["filter"][0]["bool"]["filter"]


def test_execution_query_combines_every_criterion() -> None:
    criteria = ExecutionFilter(
        namespace="company",
        flow_id="etl",
        states=(StateType.FAILED, StateType.KILLED),
        labels=(("team", "data"),),
        start=T0,
        text="ab*c",
    )
    query = execution_query(criteria)
    assert query["bool"]["must_not"] == [{"term": {"deleted": True}}]
    filters = _filters(query)
    namespace, flow, states, when, label, text = filters
    assert namespace["bool"]["should"] == [
        {"term": {"namespace": "company"}},
        {"prefix": {"namespace": "company."}},
    ]
    assert flow == {"term": {"flowId": "etl"}}
    assert states == {"terms": {"state.current": ["FAILED", "KILLED"]}}
    assert when == {"range": {"@timestamp": {"gte": "2026-11-20T08:00:00Z"}}}
    assert label["nested"]["path"] == "labels"
    assert label["nested"]["query"]["bool"]["filter"] == [
        {"term": {"labels.key": "team"}},
        {"term": {"labels.value": "data"}},
    ]
    assert {"term": {"id": "ab*c"}} in text["bool"]["should"]
    assert {"wildcard": {"flowId": {"value": "*ab\\*c*", "case_insensitive": True}}} in text[
        "bool"
    ]["should"]


def test_empty_filter_matches_all_but_deleted() -> None:
    query = execution_query(ExecutionFilter())
    assert query["bool"]["filter"] == [{"match_all": {}}]
    assert "must_not" not in execution_query(ExecutionFilter(include_deleted=True)).get("bool", {})


def test_sort_and_page_validation() -> None:
    assert parse_sort("duration:asc") == [
        {"durationMs": {"order": "asc", "missing": "_last"}},
        {"id": "asc"},
    ]
    assert parse_sort("start")[0] == {"@timestamp": {"order": "desc", "missing": "_last"}}
    with pytest.raises(InvalidQueryError, match="cannot sort by"):
        parse_sort("size:desc")
    assert check_page(3, 20) == (40, 20)
    for page, size in ((0, 10), (1, 0), (1, 5000), (501, 20)):
        with pytest.raises(InvalidQueryError):
            check_page(page, size)
    assert escape_wildcard("a?b\\c") == "a\\?b\\\\c"


def test_log_query_levels_and_text() -> None:
    assert levels_from(LogLevel.WARN) == ["WARN", "ERROR"]
    query = log_query(LogFilter(execution_id="e", min_level=LogLevel.INFO, text="disk full"))
    assert query["bool"]["filter"] == [
        {"term": {"executionId": "e"}},
        {"terms": {"level": ["INFO", "WARN", "ERROR"]}},
        {"match": {"message": {"query": "disk full", "operator": "and"}}},
    ]


def test_summary_reads_an_execution_document() -> None:
    final = snapshots("s1", StateType.WARNING, labels={"env": "prod"})[-1]
    summary = ExecutionSummary.from_document(execution_document(final))
    assert summary.state is StateType.WARNING
    assert summary.duration_ms == 2000 and summary.seq == 3
    assert summary.labels == {"env": "prod"}
    assert summary.start_date == T0
    assert summary.to_json_dict()["state"] == "WARNING"


def test_flow_and_trigger_documents_round_trip() -> None:
    flow = flow_record("company", "etl", 2, labels=[{"key": "a", "value": 1}])
    doc = flow_document(flow)
    assert doc["labels"] == [{"key": "a", "value": "1"}]
    assert flow_from_document(doc) == flow
    trigger = trigger_state("company", "etl", "nightly")
    assert trigger_from_document(trigger_document(trigger)) == trigger


def test_statistics_helpers() -> None:
    assert nearest_rank([], 50) is None
    values = [float(v) for v in range(1, 101)]
    assert nearest_rank(values, 50) == 50.0
    assert nearest_rank(values, 99) == 99.0
    assert nearest_rank([7.0], 95) == 7.0
    assert fixed_interval(timedelta(hours=1)) == "1h"
    assert fixed_interval(timedelta(minutes=90)) == "90m"
    assert fixed_interval(timedelta(days=7)) == "7d"
    with pytest.raises(ValueError):
        fixed_interval(timedelta(milliseconds=10))
    assert auto_interval(timedelta(days=7)) == timedelta(days=1)
    assert auto_interval(timedelta(days=1)) == timedelta(hours=1)
    assert auto_interval(timedelta(hours=2)) == timedelta(minutes=5)
    assert auto_interval(timedelta(days=365)) == timedelta(days=30)


def test_cli_option_parsers() -> None:
    assert parse_age("7d") == timedelta(days=7)
    assert parse_age("90m") == timedelta(minutes=90)
    assert parse_age("2w") == timedelta(weeks=2)
    assert parse_age("PT1H") == timedelta(hours=1)
    for bad in ("7x", "0d", "-1h", "soon"):
        with pytest.raises(ValueError):
            parse_age(bad)
    assert parse_labels(("team=data", "expr=a=b")) == (("team", "data"), ("expr", "a=b"))
    with pytest.raises(Exception, match="key=value"):
        parse_labels(("novalue",))
    assert format_duration_ms(None) == ""
    assert format_duration_ms(850) == "850ms"
    assert format_duration_ms(12_340) == "12.3s"
    assert format_duration_ms(245_000) == "4m05s"
    assert format_duration_ms(7_380_000) == "2h03m"
