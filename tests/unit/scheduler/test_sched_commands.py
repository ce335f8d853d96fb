"""Trigger commands: backfills (pause, resume, delete), stopAfter, unlock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scheduler_harness import ScheduleRun, at, definition, schedule

from orchestrator.models.state import StateType
from orchestrator.models.trigger_commands import (
    ChangeBackfill,
    ExecutionEnded,
    StartBackfill,
    TriggerCommand,
    UnlockTrigger,
)
from orchestrator.scheduler.commands import apply_command
from orchestrator.scheduler.evaluate import evaluate, next_wake
from orchestrator.scheduler.schedules import ScheduleContext

WHERE = {"namespace": "tests.sched", "flow_id": "flow", "trigger_id": "s"}


def _apply(run: ScheduleRun, command: TriggerCommand) -> Any:
    decision = apply_command(command, run.state, run.trigger.trigger, run.trigger.ref, run.now)
    if decision.state is not None:
        run.state = decision.state
    return decision


def _drain(run: ScheduleRun, steps: int) -> None:
    for _ in range(steps):
        if run.step().firings:
            run.unlock()


def test_backfill_fires_every_slot_once_in_order_first_one_included() -> None:
    run = ScheduleRun(schedule(cron="0 * * * *"), at("2024-02-01T00:30"))
    run.step()
    _apply(
        run,
        StartBackfill(
            **WHERE, start=at("2024-01-01T00:00"), end=at("2024-01-01T05:00"), inputs={"x": 1}
        ),
    )
    _drain(run, 20)
    assert run.dates == [f"2024-01-01T0{hour}:00:00+00:00" for hour in range(6)]
    assert all(create.inputs == {"x": 1} for create in run.creates)
    assert run.state is not None and run.state.backfill is not None
    assert run.state.backfill.fired == 6 and run.state.backfill.next_date is None


def test_backfill_pause_resume_delete_never_replays() -> None:
    run = ScheduleRun(schedule(cron="0 * * * *"), at("2024-02-01T00:30"))
    run.step()
    _apply(run, StartBackfill(**WHERE, start=at("2024-01-01T00:00"), end=at("2024-01-01T09:00")))
    _drain(run, 3)
    _apply(run, ChangeBackfill(**WHERE, action="pause"))
    _drain(run, 5)
    assert len(run.dates) == 3
    _apply(run, ChangeBackfill(**WHERE, action="resume"))
    _drain(run, 2)
    _apply(run, ChangeBackfill(**WHERE, action="delete"))
    _drain(run, 10)
    assert run.dates == [f"2024-01-01T0{hour}:00:00+00:00" for hour in range(5)]
    # A new backfill over the same range is a new request: it starts at its own start.
    assert _apply(run, ChangeBackfill(**WHERE, action="resume")).problem == "no backfill to resume"


def test_backfill_pace_spaces_the_slots() -> None:
    run = ScheduleRun(schedule(cron="0 * * * *"), at("2024-02-01T00:30"))
    run.step()
    _apply(run, StartBackfill(**WHERE, start=at("2024-01-01T00:00"), end=at("2024-01-01T03:00")))
    for _ in range(4):
        if run.step(pace=timedelta(seconds=10)).firings:
            run.unlock()
    assert len(run.dates) == 1  # the clock did not move: one slot only
    run.now += timedelta(seconds=10)
    assert run.step(pace=timedelta(seconds=10)).firings


def test_deprecated_backfill_property_starts_a_backfill() -> None:
    run = ScheduleRun(
        schedule(cron="0 0 * * *", backfill={"start": "2024-01-01T00:00:00Z"}),
        at("2024-01-03T12:00"),
    )
    _drain(run, 10)
    assert run.dates == [f"2024-01-0{day}T00:00:00+00:00" for day in (1, 2, 3)]


def _ended(run: ScheduleRun, state: StateType) -> ExecutionEnded:
    assert run.state is not None and run.state.last_execution_id is not None
    return ExecutionEnded(
        **WHERE,
        execution_id=run.state.last_execution_id,
        execution_namespace="tests.sched",
        execution_flow_id="flow",
        flow_revision=1,
        state=state,
        started_by_trigger=True,
    )


def test_execution_end_unlocks_and_stop_after_disables() -> None:
    run = ScheduleRun(schedule(cron="* * * * *", stopAfter=["FAILED"]), at("2024-01-01T10:00:30"))
    run.step()
    run.now = at("2024-01-01T10:01")
    assert run.step().firings
    assert run.state is not None and run.state.execution_id is not None
    _apply(run, _ended(run, StateType.SUCCESS))
    assert run.state.execution_id is None and not run.state.disabled
    run.now = at("2024-01-01T10:02")
    assert run.step().firings
    _apply(run, _ended(run, StateType.FAILED))
    assert run.state.disabled
    run.now = at("2024-01-01T10:10")
    assert not run.step().firings


def test_unlock_command_releases_a_lock() -> None:
    run = ScheduleRun(schedule(cron="* * * * *"), at("2024-01-01T10:00:30"))
    run.step()
    run.now = at("2024-01-01T10:01")
    run.step()
    assert run.state is not None and run.state.execution_id is not None
    _apply(run, UnlockTrigger(**WHERE))
    assert run.state.execution_id is None


def test_webhook_and_flow_triggers_get_a_state_that_follows_the_flow_revision() -> None:
    webhook = definition(
        {"id": "hook", "type": "io.kestra.plugin.core.trigger.Webhook", "key": "k"}
    )
    ctx = ScheduleContext(now=at("2024-01-01T10:00"))
    state = evaluate(webhook, None, ctx).state
    assert state is not None and state.trigger_id == "hook" and state.flow_revision == 1
    assert state.trigger_type == "io.kestra.plugin.core.trigger.Webhook"
    assert evaluate(webhook, state, ctx).state is None  # nothing changed: nothing written
    assert next_wake(webhook, state, timedelta(0)) is None  # the API fires it, not a clock
