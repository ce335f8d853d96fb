"""Product gaps the chaos suite found, so the figures can say which failure is a known one.

Each is a finding reported to the owners of the code named (not fixed here); the isolated
``test_gap_*`` tests of ``tests/integration/test_chaos.py`` are strict xfails until
it is fixed (then they pass, and the strict xfail fails: drop the marker and the entry).
"""

from __future__ import annotations

from orchestrator.kafka import TOPICS

from .injector import KINDS, NOT_JSON, OVERSIZED, UNKNOWN_EXECUTION, WRONG_TYPE

UNKNOWN_IGNORED = (
    "the engine ignores a well-formed command or result for an execution it does not hold, "
    "and a worker a kill notice for one "
    "(executor/processor.py _handle -> advance); Kestra-like would be a dead letter with "
    "reason 'unknown execution'"
)
SKIPPED_HEARTBEAT = (
    "the executor skips an unreadable heartbeat without a dead letter "
    "(executor/workers.py WorkerMonitor._observe)"
)
SKIPPED_KILL = (
    "workers skip an unreadable kill notice without a dead letter "
    "(worker/service.py WorkerService._read_kills)"
)
TOO_LARGE_LETTER = (
    "the dead letter quoting the record is larger than the broker's max.message.bytes: the "
    "send fails, the "
    "transaction aborts and the service exits, then crash-loops on the same record "
    "(executor/processor.py _handle and _unreadable, worker/service.py _start; the indexer "
    "leaves the value out instead, indexer/deadletters.py)"
)
UNREADABLE_INSTANCE = (
    "any unreadable record on `instances` makes every later executor and worker start fail "
    "(orchestrator/kafka/incarnations.py previous_incarnation reads the one partition "
    "without on_unreadable)"
)

# (topic, kind) -> why it is not dead-lettered today.
NOT_DEAD_LETTERED: dict[tuple[str, str], str] = {
    **{(TOPICS.worker_heartbeats.logical, kind): SKIPPED_HEARTBEAT for kind in KINDS},
    **{(TOPICS.kills.logical, kind): SKIPPED_KILL for kind in (NOT_JSON, WRONG_TYPE, OVERSIZED)},
    **{(spec.logical, UNKNOWN_EXECUTION): UNKNOWN_IGNORED for spec in TOPICS},
}

# (topic, kind) -> why injecting it stops a service for good; left out of a chaos run unless
# it is strict, since the rest of the run would measure nothing but the crash loop.
STOPS_A_SERVICE: dict[tuple[str, str], str] = {
    **{
        (spec.logical, OVERSIZED): TOO_LARGE_LETTER
        for spec in (
            TOPICS.execution_commands,
            TOPICS.worker_results,
            TOPICS.worker_tasks,
            TOPICS.executions,
        )
    },
    **{
        (TOPICS.instances.logical, kind): UNREADABLE_INSTANCE
        for kind in (NOT_JSON, WRONG_TYPE, OVERSIZED)
    },
}
