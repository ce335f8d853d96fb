"""The chaos invariants, computed from what the recorder saw and from the end state."""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from orchestrator.kafka import TOPICS, DeserializationError, Topics, TopicTail
from orchestrator.models.execution import Execution
from orchestrator.models.messages import DeadLetter
from orchestrator.models.state import StateType
from orchestrator.repository.admin import make_client, names_for
from orchestrator.repository.indices import IndexKind
from orchestrator.settings import KestrelSettings

from .cluster import Kill
from .injector import Injection
from .observe import Observed


def most_at_once(executions: Iterable[Execution]) -> int:
    """The most executions holding a slot at one time: from their first RUNNING to their end."""
    edges: list[tuple[datetime, int]] = []
    for execution in executions:
        dates = {entry.state: entry.date for entry in reversed(execution.state.histories)}
        if StateType.RUNNING in dates:
            edges += [(dates[StateType.RUNNING], 1), (execution.state.histories[-1].date, -1)]
    most = current = 0
    for _, step in sorted(edges):  # at equal dates an end (-1) comes before a start
        current += step
        most = max(most, current)
    return most


def task_runs_applied_twice(executions: Iterable[Execution]) -> int:
    """Task runs whose result was applied more than once, or whose id appears twice.

    Applied once means: each attempt ends (reaches a terminal state) at most once, and the
    task run's own history has a single terminal entry, its last (a retry or a lost attempt
    goes through RETRYING or a new attempt, never through a second end).
    """
    faults = 0
    for execution in executions:
        ids = Counter(run.id for run in execution.task_run_list)
        faults += sum(count - 1 for count in ids.values() if count > 1)
        for run in execution.task_run_list:
            ends = [h for h in run.state.histories if h.state.is_terminated]
            twice = len(ends) > 1 or (ends and run.state.histories[-1] is not ends[-1])
            attempts = [
                sum(1 for h in attempt.state.histories if h.state.is_terminated)
                for attempt in run.attempts
            ]
            if twice or any(count > 1 for count in attempts):
                faults += 1
    return faults


def seq_faults(seqs: dict[str, list[int]]) -> tuple[int, int]:
    """(gaps, repeats) over every execution's committed ``seq`` values, in topic order."""
    gaps = repeats = 0
    for values in seqs.values():
        expected = 1
        for seq in values:
            if seq < expected:
                repeats += 1
                continue
            gaps += seq - expected
            expected = seq + 1
    return gaps, repeats


def retained_snapshots(settings: KestrelSettings) -> int:
    """Snapshot records still on ``executions`` now (after whatever compaction did)."""
    with TopicTail(settings, [TOPICS.executions]) as tail:
        _, records = tail.catch_up(timeout=60)
    count = 0
    for record in records:
        try:
            count += isinstance(record.decoded(TOPICS.executions), Execution)
        except DeserializationError:
            continue  # an injected message
    return count


def index_mismatches(
    settings: KestrelSettings, latest: dict[str, Execution], timeout: float
) -> tuple[int, float]:
    """Executions whose ES document (state, seq) differs from their last snapshot.

    Waits (up to ``timeout``) for the indexer to catch up first; returns the count left and
    the seconds waited.
    """
    client = make_client(settings)
    alias = names_for(settings).alias(IndexKind.EXECUTIONS)
    started = time.monotonic()
    wrong = dict(latest)
    while True:
        client.indices.refresh(index=alias)
        ids = list(wrong)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found = client.search(
                index=alias,
                query={"terms": {"id": chunk}},
                source=["id", "seq", "state.current"],
                size=len(chunk),
            )
            for hit in found["hits"]["hits"]:
                doc = hit["_source"]
                snapshot = wrong.get(doc["id"])
                state = doc.get("state", {}).get("current")
                if snapshot and doc.get("seq") == snapshot.seq and state == snapshot.state.current:
                    del wrong[doc["id"]]
        waited = time.monotonic() - started
        if not wrong or waited > timeout:
            return len(wrong), waited
        time.sleep(1)  # polling Elasticsearch for a condition, bounded by the timeout


def dead_letters(settings: KestrelSettings) -> dict[tuple[str, int, int], list[DeadLetter]]:
    """Every dead letter now on the topic, by the (logical topic, partition, offset) it names."""
    topics = Topics.from_settings(settings)
    found: dict[tuple[str, int, int], list[DeadLetter]] = defaultdict(list)
    with TopicTail(settings, [TOPICS.dead_letters]) as tail:
        _, records = tail.catch_up(timeout=30)
    for record in records:
        try:
            letter = record.decoded_value(TOPICS.dead_letters)
        except DeserializationError:
            continue
        try:
            logical = topics.spec_of(letter.topic).logical
        except KeyError:
            continue
        found[(logical, letter.partition, letter.offset)].append(letter)
    return found


def matched(
    injections: Iterable[Injection], letters: dict[tuple[str, int, int], list[DeadLetter]]
) -> list[Injection]:
    """The injections that have a dead letter naming them, with a reason."""
    return [
        each
        for each in injections
        if any(
            letter.error for letter in letters.get((each.topic, each.partition, each.offset), [])
        )
    ]


def recovery_seconds(kills: list[Kill], observed: Observed) -> dict[str, list[float]]:
    """Per role: seconds from each kill to the victim's next committed batch (if any).

    Executor: the next snapshot on a partition it owned; worker: the next result from its
    new incarnation; indexer: the next change of its group's committed offsets.
    """
    found: dict[str, list[float]] = defaultdict(list)
    snapshots = sorted(observed.snapshot_times)
    results = sorted(observed.result_times)
    for kill in kills:
        after_ms = kill.at * 1000
        first: float | None = None
        if kill.role == "executor":
            first = next(
                (ts for ts, p in snapshots if ts > after_ms and p in kill.partitions), None
            )
        elif kill.role == "worker":
            prefix = f"{kill.instance}-"
            first = next(
                (
                    ts
                    for ts, worker in results
                    if ts > after_ms and worker.startswith(prefix) and worker != kill.incarnation
                ),
                None,
            )
        else:
            first = next((at * 1000 for at, _ in observed.indexer_commits if at > kill.at), None)
        if first is not None:
            found[kill.role].append((first - after_ms) / 1000)
    return found


def p50_max(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"p50 {statistics.median(values):.2f}s  max {max(values):.2f}s"
