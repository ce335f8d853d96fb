"""A flow's concurrency limit through the shell: requests, the admission owner, releases."""

from engine_harness import Harness, history, load, runs_of

from orchestrator.models.concurrency import SlotRelease, SlotRequest
from orchestrator.models.messages import (
    KillExecution,
    RestartExecution,
    ResumeExecution,
    SlotDecision,
    SlotOutcome,
)
from orchestrator.models.state import StateType


def _states(harness: Harness, ids: list[str]) -> list[StateType]:
    return [harness.execution(each).state.current for each in ids]


def _admitted(harness: Harness, ids: list[str]) -> int:
    """Executions holding a slot: admitted (RUNNING once) and not ended."""
    return sum(
        1
        for each in ids
        if StateType.RUNNING in history(harness.execution(each))
        and not harness.execution(each).state.current.is_terminated
    )


def test_a_new_execution_waits_in_created_for_the_owner_s_answer() -> None:
    harness = Harness(load("concurrency-pause"))
    execution_id = harness.create("concurrency-pause")

    assert harness.execution(execution_id).state.current is StateType.CREATED
    [request] = list(harness.outbox)
    assert isinstance(request, SlotRequest)
    assert (request.execution_id, request.limit, request.behavior) == (execution_id, 2, "QUEUE")


def test_two_ends_before_any_release_start_two_queued_executions_and_pass_no_pause() -> None:
    # The reported fault: two executions ended before the first release was applied, the
    # same QUEUED execution got two Resumes, the second one approved its Pause, and the next
    # queued execution was stranded.
    harness = Harness(load("concurrency-pause"))
    ids = [harness.create("concurrency-pause") for _ in range(4)]
    harness.settle()
    assert _states(harness, ids) == [StateType.PAUSED] * 2 + [StateType.QUEUED] * 2

    harness.apply(KillExecution(execution_id=ids[0]))
    harness.apply(KillExecution(execution_id=ids[1]))  # both end before any release applies
    harness.settle()

    assert _states(harness, ids) == [StateType.KILLED] * 2 + [StateType.PAUSED] * 2
    for each in ids[2:]:
        execution = harness.execution(each)
        assert [run.state.current for run in runs_of(execution, "approve")] == [StateType.PAUSED]
        assert runs_of(execution, "done") == []  # nobody approved it
    assert _admitted(harness, ids) == 2


def test_a_resume_never_starts_a_queued_execution() -> None:
    harness = Harness(load("concurrency-pause"))
    ids = [harness.create("concurrency-pause") for _ in range(3)]
    harness.settle()

    harness.apply(ResumeExecution(execution_id=ids[2]))
    harness.settle()

    assert harness.execution(ids[2]).state.current is StateType.QUEUED
    assert _admitted(harness, ids) == 2


def test_queued_executions_start_first_come_first_served() -> None:
    harness = Harness(load("concurrency-pause"))
    ids = [harness.create("concurrency-pause") for _ in range(6)]
    harness.settle()
    started: list[str] = []
    for _ in range(4):
        paused = [each for each in ids if harness.execution(each).state.current is StateType.PAUSED]
        started += [each for each in paused if each not in started]
        harness.apply(ResumeExecution(execution_id=paused[0]))  # approve the oldest
        harness.settle()
        assert _admitted(harness, ids) <= 2
    started += [
        each
        for each in ids
        if harness.execution(each).state.current is StateType.PAUSED and each not in started
    ]
    assert started == ids


def test_a_killed_queued_execution_gives_its_place_up() -> None:
    harness = Harness(load("concurrency-pause"))
    ids = [harness.create("concurrency-pause") for _ in range(4)]
    harness.settle()

    harness.apply(KillExecution(execution_id=ids[2]))  # queued first, killed
    harness.settle()
    harness.apply(ResumeExecution(execution_id=ids[0]))
    harness.settle()

    assert _states(harness, ids) == [
        StateType.SUCCESS,
        StateType.PAUSED,
        StateType.KILLED,
        StateType.PAUSED,
    ]
    assert harness.shell.flow_slots("kestrel.tests/concurrency-pause").queued == ()  # type: ignore[union-attr]


def test_a_grant_reaching_an_ended_execution_is_handed_back() -> None:
    harness = Harness(load("concurrency-pause"))
    execution_id = harness.create("concurrency-pause")
    harness.apply(KillExecution(execution_id=execution_id))  # before the owner answered
    harness.outbox.clear()

    harness.apply(SlotDecision(execution_id=execution_id, outcome=SlotOutcome.GRANTED, limit=2))

    assert harness.execution(execution_id).state.current is StateType.KILLED
    [release] = list(harness.outbox)
    assert isinstance(release, SlotRelease) and release.execution_id == execution_id


def test_cancel_behavior_cancels_what_comes_beyond_the_limit() -> None:
    harness = Harness(load("concurrency-cancel"))
    first, second = harness.create("concurrency-cancel"), harness.create("concurrency-cancel")
    harness.settle(timers=False)

    assert _states(harness, [first, second]) == [StateType.PAUSED, StateType.CANCELLED]
    assert history(harness.execution(second)) == [StateType.CREATED, StateType.CANCELLED]
    harness.settle()
    assert harness.execution(first).state.current is StateType.SUCCESS


def test_fail_behavior_fails_what_comes_beyond_the_limit_with_kestra_s_message() -> None:
    harness = Harness(load("concurrency-fail"))
    first, second = harness.create("concurrency-fail"), harness.create("concurrency-fail")
    harness.settle(timers=False)

    assert _states(harness, [first, second]) == [StateType.PAUSED, StateType.FAILED]
    assert harness.logged("Flow is FAILED due to concurrency limit exceeded")


def test_a_restart_waits_for_a_slot_again() -> None:
    harness = Harness(load("concurrency-fail"))
    first = harness.create("concurrency-fail")
    harness.settle(timers=False)
    harness.apply(KillExecution(execution_id=first))
    harness.settle(timers=False)
    holder = harness.create("concurrency-fail")
    harness.settle(timers=False)

    harness.apply(RestartExecution(execution_id=first))
    harness.settle(timers=False)

    assert harness.execution(holder).state.current is StateType.PAUSED
    assert harness.execution(first).state.current is StateType.FAILED  # refused: FAIL behavior
    assert harness.logged("Flow is FAILED due to concurrency limit exceeded")
