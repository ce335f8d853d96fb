"""Schedule triggers with an injected clock: every property, DST, recovery, locks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scheduler_harness import ScheduleRun, at, schedule

from orchestrator.models.trigger_commands import SetTriggerEnabled
from orchestrator.scheduler.commands import apply_command
from orchestrator.scheduler.cron import CronSchedule


def test_new_schedule_first_fires_at_its_first_slot_after_it_is_seen() -> None:
    run = ScheduleRun(schedule(cron="*/5 * * * *"), at("2024-01-01T10:02:30"))
    assert run.step().firings == ()
    assert run.state is not None and run.state.next_date == at("2024-01-01T10:05")
    run.run_until(at("2024-01-01T10:20"), timedelta(seconds=30))
    assert run.dates == [
        "2024-01-01T10:05:00+00:00",
        "2024-01-01T10:10:00+00:00",
        "2024-01-01T10:15:00+00:00",
        "2024-01-01T10:20:00+00:00",
    ]


def test_with_seconds_fires_every_second_exactly_once() -> None:
    run = ScheduleRun(schedule(cron="* * * * * *", withSeconds=True), at("2024-01-01T10:00"))
    run.run_until(at("2024-01-01T10:00:10.500"), timedelta(milliseconds=300))
    assert run.dates == [f"2024-01-01T10:00:{second:02d}+00:00" for second in range(1, 11)]


@pytest.mark.parametrize(
    ("nickname", "first"),
    [
        ("@hourly", "2024-01-01T11:00"),
        ("@daily", "2024-01-02T00:00"),
        ("@midnight", "2024-01-02T00:00"),
        ("@weekly", "2024-01-07T00:00"),
        ("@monthly", "2024-02-01T00:00"),
        ("@yearly", "2025-01-01T00:00"),
        ("@annually", "2025-01-01T00:00"),
    ],
)
def test_nicknames(nickname: str, first: str) -> None:
    run = ScheduleRun(schedule(cron=nickname), at("2024-01-01T10:30"))
    run.step()
    assert run.state is not None and run.state.next_date == at(first)


def test_trigger_variables_are_in_the_trigger_zone() -> None:
    run = ScheduleRun(schedule(cron="0 9 * * *", timezone="Europe/Paris"), at("2024-06-01T06:00"))
    run.run_until(at("2024-06-02T08:00"), timedelta(hours=1))
    variables = run.creates[0].trigger.variables
    assert variables == {
        "date": "2024-06-01T09:00:00+02:00",
        "next": "2024-06-02T09:00:00+02:00",
        "previous": "2024-05-31T09:00:00+02:00",
    }
    assert run.creates[0].schedule_date == at("2024-06-01T07:00")


def test_inputs_and_labels_are_passed_and_rendered() -> None:
    run = ScheduleRun(
        schedule(inputs={"day": "{{ trigger.date }}", "n": 3}, labels={"team": "data"}),
        at("2024-01-01T10:00:30"),
    )
    run.run_until(at("2024-01-01T10:01"), timedelta(seconds=30))
    create = run.creates[0]
    assert create.inputs == {"day": "2024-01-01T10:01:00+00:00", "n": 3}
    assert [(label.key, label.value) for label in create.labels] == [("team", "data")]


def _new_york_dst(cron: str, start: str, end: str) -> list[str]:
    run = ScheduleRun(schedule(cron=cron, timezone="America/New_York"), at(start))
    run.run_until(at(end), timedelta(minutes=5))
    return run.dates


def test_spring_forward_new_york_loses_no_slot() -> None:
    # 2024-03-10: 02:00 EST jumps to 03:00 EDT; the 02:30 slot fires at 03:30 EDT.
    dates = _new_york_dst("30 2 * * *", "2024-03-09T00:00", "2024-03-12T00:00")
    assert dates == [
        "2024-03-09T02:30:00-05:00",
        "2024-03-10T03:30:00-04:00",
        "2024-03-11T02:30:00-04:00",
    ]


def test_fall_back_new_york_fires_once() -> None:
    # 2024-11-03: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice, fires once.
    dates = _new_york_dst("30 1 * * *", "2024-11-02T00:00", "2024-11-05T00:00")
    assert dates == [
        "2024-11-02T01:30:00-04:00",
        "2024-11-03T01:30:00-04:00",
        "2024-11-04T01:30:00-05:00",
    ]


def test_paris_hourly_across_both_transitions_never_doubles() -> None:
    cron = CronSchedule("0 * * * *", "Europe/Paris")
    spring = cron.slots(at("2024-03-30T23:30"), at("2024-03-31T03:30"))
    assert [cron.local(s).isoformat() for s in spring] == [
        "2024-03-31T01:00:00+01:00",
        "2024-03-31T03:00:00+02:00",
        "2024-03-31T04:00:00+02:00",
        "2024-03-31T05:00:00+02:00",
    ]
    autumn = cron.slots(at("2024-10-26T22:30"), at("2024-10-27T03:30"))
    # Five UTC hours, the 02:00 wall hour twice: it fires at its first occurrence only.
    assert len(autumn) == len(set(autumn)) == 4
    assert [cron.local(s).isoformat() for s in autumn] == [
        "2024-10-27T01:00:00+02:00",
        "2024-10-27T02:00:00+02:00",
        "2024-10-27T03:00:00+01:00",
        "2024-10-27T04:00:00+01:00",
    ]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("ALL", ["10:01", "10:02", "10:03"]),
        ("LAST", ["10:03"]),
        ("NONE", []),
    ],
)
def test_recover_missed_schedules_after_a_three_hour_outage(
    policy: str, expected: list[str]
) -> None:
    run = ScheduleRun(
        schedule(cron="0 * * * *", recoverMissedSchedules=policy), at("2024-01-01T07:10")
    )
    run.step()  # seen at 07:10: next slot 08:00; then the scheduler is down until 10:30
    run.now = at("2024-01-01T10:30")
    while run.step(recovering=True).firings:
        run.unlock()
    hours = {"10:01": "08:00", "10:02": "09:00", "10:03": "10:00"}
    assert run.dates == [f"2024-01-01T{hours[each]}:00+00:00" for each in expected]
    assert run.state is not None and run.state.next_date == at("2024-01-01T11:00")


def test_recover_none_is_applied_after_re_enable_too() -> None:
    # Kestra #6027: NONE was ignored when a trigger was re-enabled.
    run = ScheduleRun(
        schedule(cron="0 * * * *", recoverMissedSchedules="NONE"), at("2024-01-01T07:10")
    )
    run.step()
    assert run.state is not None
    disable = SetTriggerEnabled(
        namespace="tests.sched", flow_id="flow", trigger_id="s", enabled=False
    )
    run.state = apply_command(
        disable, run.state, run.trigger.trigger, run.trigger.ref, run.now
    ).state
    run.now = at("2024-01-01T10:30")
    assert run.step().firings == ()  # disabled: nothing fires
    enable = disable.model_copy(update={"enabled": True})
    run.state = apply_command(
        enable, run.state, run.trigger.trigger, run.trigger.ref, run.now
    ).state
    assert run.step().firings == ()
    assert run.state is not None and run.state.next_date == at("2024-01-01T11:00")


def test_late_maximum_delay_skips_slots_started_too_late() -> None:
    run = ScheduleRun(schedule(cron="0 * * * *", lateMaximumDelay="PT30M"), at("2024-01-01T07:10"))
    run.step()
    run.now = at("2024-01-01T10:20")  # 08:00 and 09:00 are too late, 10:00 is not
    while run.step(recovering=True).firings:
        run.unlock()
    assert run.dates == ["2024-01-01T10:00:00+00:00"]


def test_a_running_execution_locks_the_next_slot_until_it_ends() -> None:
    run = ScheduleRun(schedule(cron="* * * * *"), at("2024-01-01T10:00:30"))
    run.step()
    run.now = at("2024-01-01T10:01")
    assert len(run.step().firings) == 1
    run.now = at("2024-01-01T10:05:10")
    assert run.step().firings == ()  # locked to the 10:01 execution
    run.unlock()
    while run.step().firings:  # every waiting slot fires once, in order, one at a time
        run.unlock()
    assert run.dates == [f"2024-01-01T10:0{minute}:00+00:00" for minute in range(1, 6)]


def test_disabled_in_yaml_or_flow_disabled_never_fires() -> None:
    for trigger in (schedule(disabled=True),):
        run = ScheduleRun(trigger, at("2024-01-01T10:00:30"))
        run.run_until(at("2024-01-01T10:10"), timedelta(seconds=30))
        assert run.dates == []


def test_a_changed_cron_starts_afresh_from_now() -> None:
    run = ScheduleRun(schedule(cron="0 * * * *"), at("2024-01-01T10:10"))
    run.step()
    run.trigger = schedule(cron="*/15 * * * *")
    run.now = at("2024-01-01T10:20")
    run.step()
    assert run.state is not None and run.state.next_date == at("2024-01-01T10:30")
