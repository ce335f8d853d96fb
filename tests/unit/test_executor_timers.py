"""The timer index every engine shell uses: one heap entry per timer change, fired once."""

from datetime import UTC, datetime, timedelta

from executor.store import ExecutionStore
from executor.timers import TimerIndex
from orchestrator.models.execution import Execution, Timer, TimerKind

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _timer(timer_id: str, due: datetime) -> Timer:
    return Timer(id=timer_id, kind=TimerKind.RETRY, due=due, task_run_id="run")


def test_a_thousand_snapshots_with_the_same_timer_fire_it_once() -> None:
    # The reported fault: every snapshot pushed every timer again (1,000 snapshots gave
    # 1,000 heap entries and 1,000 TimerFired).
    store = ExecutionStore()
    execution = Execution(id="e", namespace="n", flow_id="f", flow_revision=1)
    for seq in range(1, 1001):
        store.put(execution.model_copy(update={"seq": seq, "timers": (_timer("t", T0),)}), 0)

    assert store.timers.heap_size == 1
    assert store.due(T0 + timedelta(seconds=1)) == [("e", "t", T0)]
    assert store.due(T0 + timedelta(seconds=2)) == []


def test_a_rescheduled_timer_fires_at_its_new_date_only() -> None:
    index = TimerIndex()
    index.update("e", [_timer("t", T0)])
    index.update("e", [_timer("t", T0 + timedelta(minutes=5))])

    assert index.due(T0 + timedelta(minutes=1)) == []
    assert index.due(T0 + timedelta(minutes=5)) == [("e", "t", T0 + timedelta(minutes=5))]


def test_a_removed_timer_never_fires_and_unreport_makes_a_timer_due_again() -> None:
    index = TimerIndex()
    index.update("e", [_timer("gone", T0), _timer("kept", T0)])
    index.update("e", [_timer("kept", T0)])

    fired = index.due(T0)
    assert fired == [("e", "kept", T0)]
    assert index.next_due() is None
    index.unreport("e", "kept", T0)  # its notice was in an aborted transaction
    assert index.due(T0) == [("e", "kept", T0)]
    index.update("e", [])
    assert len(index) == 0 and index.next_due() is None
