"""Worker liveness, judged by heartbeats: a silent worker's attempts are lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestrator.kafka import TOPICS, DeserializationError, TopicTail
from orchestrator.models.messages import WorkerInstance
from orchestrator.settings import KestrelSettings


@dataclass
class _Seen:
    instance: WorkerInstance
    declared_dead: bool = False


class WorkerMonitor:
    """Follows ``worker-heartbeats`` and says which worker incarnations are dead."""

    def __init__(self, settings: KestrelSettings) -> None:
        """Start following heartbeats from the beginning of the (compacted) topic."""
        self._tail = TopicTail(settings, [TOPICS.worker_heartbeats])
        self._dead_after = timedelta(seconds=settings.runtime.worker_dead_after)
        self._workers: dict[str, _Seen] = {}
        self._caught_up = False

    def poll(self) -> None:
        """Take in the heartbeats available now."""
        records = self._tail.poll()
        # Only a view with nothing left to read may judge a worker: an old heartbeat read
        # before the newer ones would make a live worker look dead.
        self._caught_up = not records
        for record in records:
            try:
                beat = record.decoded(TOPICS.worker_heartbeats)
            except DeserializationError:
                continue
            if beat is None:
                self._workers.pop(record.key_str or "", None)
                continue
            seen = self._workers.get(beat.worker_id)
            if seen is None or beat.last_seen > seen.instance.last_seen:
                # A newer heartbeat means alive: a worker judged dead on a stale view may
                # be judged again when it really stops.
                stopped = beat.status == "STOPPED" and seen is not None and seen.declared_dead
                self._workers[beat.worker_id] = _Seen(beat, declared_dead=stopped)

    def newly_dead(self, now: datetime) -> list[str]:
        """Worker ids that stopped (or fell silent) since the last call."""
        if not self._caught_up:
            return []
        dead = []
        for worker_id, seen in self._workers.items():
            if seen.declared_dead:
                continue
            stopped = seen.instance.status == "STOPPED"
            if stopped or now - seen.instance.last_seen > self._dead_after:
                seen.declared_dead = True
                dead.append(worker_id)
        return dead

    def close(self) -> None:
        """Stop following."""
        self._tail.close()
