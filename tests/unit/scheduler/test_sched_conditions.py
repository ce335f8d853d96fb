"""Trigger conditions, evaluated purely, and schedule conditions over time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from scheduler_harness import RENDERER, ScheduleRun, at, schedule

from orchestrator.scheduler.conditions import (
    ConditionContext,
    ConditionError,
    UpstreamExecution,
    conditions_hold,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2024, 1, 1, 10, 0, tzinfo=PARIS)  # the first Monday of January 2024
CORE = "io.kestra.plugin.core.condition."


def _holds(condition: dict[str, Any], date: datetime = MONDAY, **extra: Any) -> bool:
    context = ConditionContext(
        variables={"trigger": {"date": date.isoformat(), **extra.pop("variables", {})}},
        date=date,
        renderer=RENDERER,
        **extra,
    )
    return conditions_hold([condition], context)


def test_day_week() -> None:
    assert _holds({"type": f"{CORE}DayWeek", "dayOfWeek": "MONDAY"})
    assert not _holds({"type": f"{CORE}DayWeek", "dayOfWeek": "TUESDAY"})
    # Kestra's older names work too.
    old = "io.kestra.core.models.conditions.types.DayWeekCondition"
    assert _holds({"type": old, "dayOfWeek": "MONDAY"})


@pytest.mark.parametrize(
    ("day", "rank", "expected"),
    [
        (1, "FIRST", True),
        (8, "SECOND", True),
        (8, "FIRST", False),
        (29, "LAST", True),
        (22, "LAST", False),
    ],
)
def test_day_week_in_month(day: int, rank: str, expected: bool) -> None:
    condition = {"type": f"{CORE}DayWeekInMonth", "dayOfWeek": "MONDAY", "dayInMonth": rank}
    assert _holds(condition, MONDAY.replace(day=day)) is expected


def test_time_between_with_and_without_offsets() -> None:
    condition = {"type": f"{CORE}TimeBetween", "after": "09:00:00", "before": "11:00:00"}
    assert _holds(condition)
    assert not _holds(condition, MONDAY.replace(hour=12))
    # 10:00 in Paris is 09:00 UTC: outside 09:30..11:00 UTC.
    assert not _holds({"type": f"{CORE}TimeBetween", "after": "09:30:00+00:00"})


def test_date_time_between() -> None:
    condition = {
        "type": f"{CORE}DateTimeBetween",
        "after": "2024-01-01T00:00:00+01:00",
        "before": "2024-01-01T09:59:00+01:00",
    }
    assert not _holds(condition)
    assert _holds(condition, MONDAY.replace(hour=9))


def test_not_or_and_expression() -> None:
    monday = {"type": f"{CORE}DayWeek", "dayOfWeek": "MONDAY"}
    friday = {"type": f"{CORE}DayWeek", "dayOfWeek": "FRIDAY"}
    assert not _holds({"type": f"{CORE}Not", "conditions": [monday]})
    assert _holds({"type": f"{CORE}Not", "conditions": [friday]})
    assert _holds({"type": f"{CORE}Or", "conditions": [friday, monday]})
    assert not _holds({"type": f"{CORE}Or", "conditions": [friday]})
    assert _holds({"type": f"{CORE}Expression", "expression": "{{ trigger.date is defined }}"})
    assert not _holds({"type": f"{CORE}Expression", "expression": "{{ 1 > 2 }}"})


def test_execution_conditions() -> None:
    upstream = UpstreamExecution(
        id="e1", namespace="company.team", flow_id="up", state="FAILED", labels={"env": "prod"}
    )

    def holds(condition: dict[str, Any]) -> bool:
        return _holds(condition, execution=upstream, variables={"outputs": {"rows": 5}})

    assert holds({"type": f"{CORE}ExecutionStatus", "in": ["FAILED", "WARNING"]})
    assert not holds({"type": f"{CORE}ExecutionStatus", "notIn": ["FAILED"]})
    assert holds({"type": f"{CORE}ExecutionFlow", "namespace": "company.team", "flowId": "up"})
    assert not holds({"type": f"{CORE}ExecutionFlow", "namespace": "company.team", "flowId": "x"})
    assert holds({"type": f"{CORE}ExecutionNamespace", "namespace": "company", "prefix": True})
    assert holds({"type": f"{CORE}ExecutionNamespace", "namespace": "company.team"})
    assert not holds({"type": f"{CORE}ExecutionNamespace", "namespace": "company"})
    assert holds({"type": f"{CORE}ExecutionLabels", "labels": {"env": "prod"}})
    assert not holds({"type": f"{CORE}ExecutionLabels", "labels": {"env": "dev"}})
    assert holds(
        {"type": f"{CORE}ExecutionOutputs", "expression": "{{ trigger.outputs.rows > 3 }}"}
    )


def test_invalid_conditions_name_the_place() -> None:
    with pytest.raises(ConditionError, match=r"conditions\[0\]: unknown condition type 'Nope'"):
        _holds({"type": "Nope"})
    with pytest.raises(ConditionError, match="dayOfWeek"):
        _holds({"type": f"{CORE}DayWeek", "dayOfWeek": "MONDAYS"})
    with pytest.raises(ConditionError, match="needs an execution"):
        _holds({"type": f"{CORE}ExecutionStatus", "in": ["FAILED"]})


def test_schedule_fires_only_the_slots_its_conditions_allow() -> None:
    first_monday = {
        "type": f"{CORE}DayWeekInMonth",
        "date": "{{ trigger.date }}",
        "dayOfWeek": "MONDAY",
        "dayInMonth": "FIRST",
    }
    run = ScheduleRun(
        schedule(cron="0 11 * * *", timezone="Europe/Paris", conditions=[first_monday]),
        at("2024-01-01T00:00"),
    )
    run.run_until(at("2024-03-31T00:00"), timedelta(hours=6))
    assert run.dates == [
        "2024-01-01T11:00:00+01:00",
        "2024-02-05T11:00:00+01:00",
        "2024-03-04T11:00:00+01:00",
    ]


def test_weekend_and_public_holiday() -> None:
    saturday = MONDAY.replace(day=6)
    assert _holds({"type": f"{CORE}Weekend"}, saturday)
    assert not _holds({"type": f"{CORE}Weekend"})
    holiday = {"type": f"{CORE}PublicHoliday", "country": "FR"}
    assert _holds(holiday)  # January 1st
    assert not _holds(holiday, MONDAY.replace(day=8))
    with pytest.raises(ConditionError, match="unknown country"):
        _holds({"type": f"{CORE}PublicHoliday", "country": "XX"})


def test_an_unknown_condition_deploys_and_its_slots_are_skipped_with_an_error() -> None:
    unknown = {"type": f"{CORE}MultipleCondition", "conditions": {}}
    run = ScheduleRun(schedule(cron="0 * * * *", conditions=[unknown]), at("2024-01-01T00:30"))
    run.run_until(at("2024-01-01T03:00"), timedelta(minutes=30))
    assert run.dates == []
    assert run.state is not None and run.state.next_date == at("2024-01-01T04:00")
    with pytest.raises(ValueError, match="dayOfWeek"):  # a known one is still checked
        schedule(conditions=[{"type": f"{CORE}DayWeek", "dayOfWeek": "FUNDAY"}])
