from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.models import State, StateType


def test_questions_live_on_the_enum() -> None:
    assert StateType.SUCCESS.is_terminated and StateType.SUCCESS.is_success
    assert StateType.KILLED.is_failed and StateType.KILLED.is_terminated
    assert StateType.RUNNING.is_running and not StateType.RUNNING.is_terminated
    assert StateType.KILLING.is_running and StateType.KILLING.is_killing
    assert StateType.PAUSED.is_paused and not StateType.PAUSED.is_terminated
    assert StateType.RETRYING.is_retrying and not StateType.RETRYING.is_terminated
    assert StateType.CREATED.is_created and not StateType.FAILED.is_success


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([StateType.SUCCESS, StateType.WARNING], StateType.WARNING),
        ([StateType.WARNING, StateType.FAILED, StateType.SUCCESS], StateType.FAILED),
        ([StateType.FAILED, StateType.KILLED], StateType.KILLED),
        ([], StateType.SUCCESS),
    ],
)
def test_precedence_killed_failed_warning_success(
    states: list[StateType], expected: StateType
) -> None:
    assert StateType.worst(states) is expected


def test_history_keeps_every_state_with_its_date() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    state = State.of(StateType.CREATED, start)
    state = state.with_state(StateType.RUNNING, start + timedelta(seconds=1))
    state = state.with_state(StateType.SUCCESS, start + timedelta(seconds=3))
    assert [entry.state for entry in state.histories] == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]
    assert state.start_date == start
    assert state.end_date == start + timedelta(seconds=3)
    assert state.duration == timedelta(seconds=3)
    assert state.entered_at(StateType.RUNNING) == start + timedelta(seconds=1)


def test_same_state_twice_is_not_a_new_history_entry() -> None:
    state = State.of(StateType.RUNNING)
    assert state.with_state(StateType.RUNNING) is state


def test_state_is_immutable_and_wire_uses_kestra_names() -> None:
    state = State.of(StateType.RUNNING)
    with pytest.raises(ValueError, match="frozen"):
        state.current = StateType.FAILED  # type: ignore[misc]
    wire = state.to_json_dict()
    assert wire["current"] == "RUNNING"
    assert wire["histories"][0]["state"] == "RUNNING"
    assert State.model_validate(wire) == state


def test_no_end_date_while_running() -> None:
    assert State.of(StateType.RUNNING).end_date is None
