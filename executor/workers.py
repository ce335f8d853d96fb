"""Worker liveness, judged by heartbeats: a silent worker's attempts are lost."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from executor.store import Attempt
from orchestrator.kafka import TOPICS, DeserializationError, Record, TopicTail, dead_letter
from orchestrator.models.messages import DeadLetter, WorkerInstance
from orchestrator.settings import KestrelSettings


class WorkerLiveness:
    """The latest heartbeat of every worker incarnation, and the verdicts drawn from them."""

    def __init__(self, dead_after: timedelta) -> None:
        """Judge a worker dead after ``dead_after`` without a heartbeat."""
        self.dead_after = dead_after
        self._latest: dict[str, WorkerInstance] = {}

    def observe(self, key: str, beat: WorkerInstance | None) -> None:
        """Take in a heartbeat (None: the key was tombstoned); older ones change nothing."""
        if beat is None:
            self._latest.pop(key, None)
            return
        seen = self._latest.get(beat.worker_id)
        if seen is None or beat.last_seen > seen.last_seen:
            self._latest[beat.worker_id] = beat

    def is_dead(self, attempt: Attempt, now: datetime) -> bool:
        """Whether the worker running ``attempt`` is gone.

        A worker is dead once it said it stopped, or after ``dead_after`` without a
        heartbeat. An incarnation never heard of is judged by the attempt's age instead: it
        may have died before its first heartbeat reached the topic.
        """
        beat = self._latest.get(attempt.worker_id)
        if beat is None:
            return now - attempt.since > self.dead_after
        return beat.status == "STOPPED" or now - beat.last_seen > self.dead_after


class WorkerMonitor:
    """Follows ``worker-heartbeats`` and says which running attempts have lost their worker.

    Heartbeats are read only when a judgement is due (`lost` reads them all first): between
    judgements they wait in the topic, and the tail rests instead of fetching each beat.
    """

    def __init__(self, settings: KestrelSettings) -> None:
        """Start following heartbeats from the beginning of the (compacted) topic."""
        runtime = settings.runtime
        self._tail = TopicTail(settings, [TOPICS.worker_heartbeats])
        self.liveness = WorkerLiveness(timedelta(seconds=runtime.worker_dead_after))
        self._every = min(runtime.heartbeat_interval, runtime.worker_dead_after / 4)
        self._next_judgement = 0.0
        self._declared: set[tuple[str, int]] = set()
        self.letters: list[DeadLetter] = []
        """Dead letters of unreadable heartbeats, for the owner to send."""
        caught_up, records = self._tail.catch_up()
        self._observe(records)
        if caught_up:
            self._tail.rest()  # read to the end: nothing to fetch until the first judgement

    def _observe(self, records: Iterable[Record]) -> None:
        for record in records:
            try:
                beat = record.decoded(TOPICS.worker_heartbeats)
            except DeserializationError as exc:
                # Sent with the executor's next transaction (it has no producer of its own).
                self.letters.append(dead_letter(record, str(exc), "executor"))
                continue
            self.liveness.observe(record.key_str or "", beat)

    def lost(self, attempts: Iterable[Attempt], now: datetime) -> list[Attempt]:
        """The attempts whose worker is dead, each reported once; [] between judgements.

        Judgements are spaced by the heartbeat interval, and made only on a view that has
        read every heartbeat written before it: an old heartbeat read before the newer ones
        would make a live worker look dead.
        """
        if time.monotonic() < self._next_judgement:
            return []
        self._next_judgement = time.monotonic() + self._every
        caught_up, records = self._tail.catch_up()
        self._observe(records)
        if not caught_up:
            return []
        self._tail.rest()  # read to the end: nothing to fetch until the next judgement
        unfinished = list(attempts)
        # Forget verdicts on attempts that have since ended, so the set stays small.
        self._declared &= {(each.task_run_id, each.number) for each in unfinished}
        lost = [
            each
            for each in unfinished
            if (each.task_run_id, each.number) not in self._declared
            and self.liveness.is_dead(each, now)
        ]
        self._declared |= {(each.task_run_id, each.number) for each in lost}
        return lost

    def close(self) -> None:
        """Stop following."""
        self._tail.close()
