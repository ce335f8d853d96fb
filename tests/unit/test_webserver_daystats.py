"""The ``/stats`` daily series grouped by namespace or flow, from per-day statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

from orchestrator.webserver.daystats import grouped_daily


def stats(day: str, namespace: str, flow: str, **states: int) -> dict[str, Any]:
    return {
        "day": day,
        "namespace": namespace,
        "flowId": flow,
        "flowKey": f"{namespace}/{flow}",
        "total": sum(states.values()),
        "states": states,
    }


DOCUMENTS = [
    stats("2026-01-01", "team.a", "etl", SUCCESS=5, FAILED=1),
    stats("2026-01-02", "team.a", "etl", SUCCESS=2),
    stats("2026-01-01", "team.a", "load", SUCCESS=3),
    stats("2026-01-02", "team.b", "etl", FAILED=4),
]


def test_grouped_by_namespace_adds_up_its_flows_per_day_with_every_day_of_the_range() -> None:
    days = grouped_daily(DOCUMENTS, date(2026, 1, 1), date(2026, 1, 3), by_flow=False)
    assert set(days) == {"team.a", "team.b"}
    team_a = {d["startDate"]: d["executionCounts"] for d in days["team.a"]}
    assert list(team_a) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert team_a["2026-01-01"]["SUCCESS"] == 8 and team_a["2026-01-01"]["FAILED"] == 1
    assert team_a["2026-01-02"]["SUCCESS"] == 2 and team_a["2026-01-03"]["SUCCESS"] == 0
    assert [d["executionCounts"]["FAILED"] for d in days["team.b"]] == [0, 4, 0]


def test_grouped_by_flow_keeps_flows_of_the_same_id_in_other_namespaces_apart() -> None:
    days = grouped_daily(DOCUMENTS, date(2026, 1, 1), date(2026, 1, 2), by_flow=True)
    assert {ns: set(flows) for ns, flows in days.items()} == {
        "team.a": {"etl", "load"},
        "team.b": {"etl"},
    }
    assert [d["executionCounts"]["SUCCESS"] for d in days["team.a"]["etl"]] == [5, 2]
    assert [d["executionCounts"]["FAILED"] for d in days["team.b"]["etl"]] == [0, 4]
