from datetime import UTC, datetime, timedelta

from executor.workers import WorkerMonitor, _Seen
from orchestrator.models.messages import WorkerInstance

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _beat(at: datetime, status: str = "RUNNING") -> WorkerInstance:
    return WorkerInstance(
        worker_id="w-1",
        instance_id="w",
        hostname="h",
        pid=1,
        slots=1,
        started=T0,
        last_seen=at,
        status=status,  # type: ignore[arg-type]
    )


def _monitor() -> WorkerMonitor:
    monitor = WorkerMonitor.__new__(WorkerMonitor)  # no Kafka: the judging logic only
    monitor._dead_after = timedelta(seconds=4)
    monitor._workers = {}
    monitor._caught_up = True
    return monitor


def test_silent_worker_is_declared_dead_once() -> None:
    monitor = _monitor()
    monitor._workers["w-1"] = _Seen(_beat(T0))
    assert monitor.newly_dead(T0 + timedelta(seconds=3)) == []
    assert monitor.newly_dead(T0 + timedelta(seconds=5)) == ["w-1"]
    assert monitor.newly_dead(T0 + timedelta(seconds=9)) == []


def test_no_judgement_while_heartbeats_are_still_being_read() -> None:
    monitor = _monitor()
    monitor._workers["w-1"] = _Seen(_beat(T0))
    monitor._caught_up = False
    assert monitor.newly_dead(T0 + timedelta(seconds=60)) == []


def test_a_fresh_heartbeat_revives_a_worker_judged_dead() -> None:
    monitor = _monitor()
    monitor._workers["w-1"] = _Seen(_beat(T0), declared_dead=True)
    # what poll() does with a newer heartbeat of the same incarnation
    monitor._workers["w-1"] = _Seen(_beat(T0 + timedelta(seconds=6)), declared_dead=False)
    assert monitor.newly_dead(T0 + timedelta(seconds=11)) == ["w-1"]
