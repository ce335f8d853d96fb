"""The chaos suite, short: bench/chaos.py's scenario at 80 executions, plus its findings.

``test_chaos_run_keeps_every_invariant`` runs the whole scenario (5 service processes killed
with -9 every ~3 s, every injection kind on every consumed topic) and asserts every
invariant. Each fault the suite found (a record that stopped a service, one dropped without
a dead letter) also has a test of its own below, on one small cluster.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from chaos import checker
from chaos.cluster import Exit, Supervisor
from chaos.injector import (
    NOT_JSON,
    OVERSIZED,
    UNKNOWN_EXECUTION,
    WRONG_TYPE,
    Injection,
    inject,
)
from chaos.scenario import CHAOS_FLOWS, NAMESPACE, ChaosConfig, run_chaos
from conftest import own_backend_settings
from runtime_helpers import submit

from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import TOPICS, ensure_topics
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.settings import KestrelSettings

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


def _own_settings(work: Path) -> Iterator[KestrelSettings]:
    # A broker of its own, as for the crash tests: the session's one is loaded by then.
    yield from own_backend_settings(work, "chaos")


@pytest.mark.timeout(420)
def test_chaos_run_keeps_every_invariant(tmp_path: Path) -> None:
    config = ChaosConfig(executions=80, kill_every=3, seed=7, submit_over=25, timeout=240)
    for settings in _own_settings(tmp_path):
        figures = run_chaos(settings, tmp_path, config)
    print(figures.table())  # shown with -s, and in the failure report
    assert not figures.failures(), figures.table()
    kills = next(line for line in figures.lines if line.label.startswith("kills made"))
    assert int(kills.value) >= 5, "the run was too short to kill anything much"


# ---- the gaps the suite found, each isolated as a regression test ------------------------

OVERSIZED_TOPICS = (
    TOPICS.execution_commands.logical,
    TOPICS.worker_results.logical,
    TOPICS.worker_tasks.logical,
    TOPICS.executions.logical,
)
FORMER_GAPS = {
    *((topic, OVERSIZED) for topic in OVERSIZED_TOPICS),
    *((TOPICS.instances.logical, kind) for kind in (NOT_JSON, WRONG_TYPE, OVERSIZED)),
    *((TOPICS.kills.logical, kind) for kind in (NOT_JSON, WRONG_TYPE, OVERSIZED)),
    *((TOPICS.worker_heartbeats.logical, kind) for kind in (NOT_JSON, WRONG_TYPE, OVERSIZED)),
    (TOPICS.execution_commands.logical, UNKNOWN_EXECUTION),
    (TOPICS.worker_results.logical, UNKNOWN_EXECUTION),
    *((TOPICS.kv.logical, kind) for kind in (NOT_JSON, WRONG_TYPE, OVERSIZED)),
}
"""(topic, kind) pairs that stopped a service or were dropped without a dead letter."""


@dataclass
class GapRun:
    """One small cluster that was fed every message a gap is about, then restarted."""

    injections: list[Injection]
    found: set[Injection]
    exits: list[Exit]


@pytest.fixture(scope="module")
def gap_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GapRun]:
    work = tmp_path_factory.mktemp("chaos-gaps")
    for settings in _own_settings(work):
        ensure_topics(settings)
        deploy_files(settings, [CHAOS_FLOWS])
        instances = {"gap-executor": "executor", "gap-worker": "worker", "gap-indexer": "indexer"}
        supervisor = Supervisor(settings, work, instances)
        try:
            supervisor.start_all()
            pairs = FORMER_GAPS
            # `instances` last but one: once it holds an unreadable record, no restart gets
            # far enough to show the other gaps. `kills` last: workers read kill notices from
            # the end when they start, so those go in once the worker serves, not before a
            # restart.
            live_only = [TOPICS.kills]
            order = [spec for spec in TOPICS if spec not in (TOPICS.instances, *live_only)]
            injections: list[Injection] = []
            for phase in (order, [TOPICS.instances], live_only):
                if phase is live_only:
                    supervisor.restart("gap-worker")  # returns once it serves again
                for spec in phase:
                    kinds = [kind for topic, kind in sorted(pairs) if topic == spec.logical]
                    injections += inject(settings, [spec], kinds) if kinds else []
                if phase is not live_only:
                    # A restart reads `instances` and restores `executions`.
                    for instance in ("gap-executor", "gap-worker"):
                        supervisor.kill_and_restart(instance)
                flow = CreateExecution(
                    execution_id=new_id(), namespace=NAMESPACE, flow_id="chaos-parallel"
                )
                submit(settings, [flow])  # work for the services, restarted or not
                found = _settle(settings, supervisor, injections)
            yield GapRun(injections, found, list(supervisor.exits))
        finally:
            supervisor.stop()


def _settle(
    settings: KestrelSettings, supervisor: Supervisor, injections: list[Injection]
) -> set[Injection]:
    """Wait (bounded) for the dead letters that would come if no gap were left."""
    expected = set(injections)
    deadline = time.monotonic() + 20
    while True:
        supervisor.check_exits()
        found = set(checker.matched(injections, checker.dead_letters(settings)))
        if expected <= found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)  # polling for a condition, bounded by the deadline


def _missing(run: GapRun, topics: set[str], kinds: set[str]) -> list[Injection]:
    return [
        each
        for each in run.injections
        if each.topic in topics and each.kind in kinds and each not in run.found
    ]


def test_a_record_as_large_as_the_broker_takes_is_dead_lettered_without_a_crash(
    gap_run: GapRun,
) -> None:
    crashes = [e for e in gap_run.exits if "too large" in e.last_line]
    assert not crashes, crashes
    assert not _missing(gap_run, set(OVERSIZED_TOPICS), {OVERSIZED})


def test_an_unreadable_instances_record_does_not_stop_a_restart(gap_run: GapRun) -> None:
    refused = [e for e in gap_run.exits if TOPICS.instances.logical in e.last_line]
    assert not refused, refused
    assert not _missing(gap_run, {TOPICS.instances.logical}, {NOT_JSON, WRONG_TYPE})


def test_an_unreadable_kill_notice_is_dead_lettered(gap_run: GapRun) -> None:
    assert not _missing(gap_run, {TOPICS.kills.logical}, {NOT_JSON, WRONG_TYPE, OVERSIZED})


def test_an_unreadable_heartbeat_is_dead_lettered(gap_run: GapRun) -> None:
    topic = TOPICS.worker_heartbeats.logical
    assert not _missing(gap_run, {topic}, {NOT_JSON, WRONG_TYPE, OVERSIZED})


def test_an_unreadable_kv_record_is_dead_lettered_by_the_indexer(gap_run: GapRun) -> None:
    assert not _missing(gap_run, {TOPICS.kv.logical}, {NOT_JSON, WRONG_TYPE, OVERSIZED})


def test_a_message_for_an_unknown_execution_is_dead_lettered(gap_run: GapRun) -> None:
    topics = {TOPICS.execution_commands.logical, TOPICS.worker_results.logical}
    assert not _missing(gap_run, topics, {UNKNOWN_EXECUTION})
    assert gap_run.injections, "nothing was injected"
