"""One chaos run, end to end, for ``bench/chaos.py`` and ``tests/integration/test_chaos.py``.

Order: record -> start the cluster -> inject malformed messages -> submit executions at a
steady pace while a random service is killed with -9 every few seconds (and restarted under
the same instance id) -> a second injection half-way -> stop killing once every submitted
execution has ended -> check: executions, applied-once, seq, index, dead letters, recovery.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from runtime_helpers import submit

from orchestrator.cli.deploy import deploy_files
from orchestrator.kafka import ensure_topics
from orchestrator.kafka.task_runs import complete
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

from . import checker
from .cluster import Supervisor
from .gaps import NOT_DEAD_LETTERED, STOPS_A_SERVICE
from .injector import KINDS, UNKNOWN_EXECUTION, Injection, consumed_topics, inject
from .observe import Recorder
from .report import Figures

CHAOS_FLOWS = Path(__file__).resolve().parent.parent / "flows" / "chaos"
NAMESPACE = "kestrel.chaos"
# What each submitted flow must end in (chaos-child runs only as chaos-subflow's child).
EXPECTED = {
    "chaos-parallel": StateType.SUCCESS,
    "chaos-foreach": StateType.SUCCESS,
    "chaos-retry": StateType.SUCCESS,
    "chaos-errors": StateType.FAILED,
    "chaos-pause": StateType.SUCCESS,
    "chaos-subflow": StateType.SUCCESS,
    "chaos-shell": StateType.SUCCESS,
    "chaos-limited": StateType.SUCCESS,
}
LIMITED = ("chaos-limited", 2)
"""A flow with a concurrency limit, and the limit."""
CHILD = ("chaos-child", StateType.SUCCESS)


@dataclass(frozen=True)
class ChaosConfig:
    """How big and how violent a run is."""

    executions: int = 1000
    kill_every: float = 5.0
    seed: int = 1
    submit_over: float = 60.0  # seconds over which the executions are submitted
    timeout: float = 900.0  # for every execution to end once submitted
    strict: bool = False  # also inject what stops a service, and count known gaps


def _creates(config: ChaosConfig, rng: random.Random) -> list[CreateExecution]:
    flows = sorted(EXPECTED)
    return [
        CreateExecution(execution_id=new_id(), namespace=NAMESPACE, flow_id=rng.choice(flows))
        for _ in range(config.executions)
    ]


def _targets(strict: bool) -> list[tuple[str, str]]:
    pairs = [(spec.logical, kind) for spec in consumed_topics() for kind in KINDS]
    return [pair for pair in pairs if strict or pair not in STOPS_A_SERVICE]


def _inject(settings: KestrelSettings, strict: bool, serial: int) -> list[Injection]:
    wanted = set(_targets(strict))
    found = []
    for spec in consumed_topics():
        kinds = [kind for kind in KINDS if (spec.logical, kind) in wanted]
        found += inject(settings, [spec], kinds, serial)
    return found


def run_chaos(settings: KestrelSettings, work: Path, config: ChaosConfig) -> Figures:
    """Run the scenario on ``settings``' (empty) topics; return its figures."""
    rng = random.Random(config.seed)
    ensure_topics(settings)
    deploy_files(settings, [CHAOS_FLOWS])
    recorder = Recorder(settings)
    supervisor = Supervisor(settings, work)
    stop_killing = threading.Event()
    injections: list[Injection] = []
    creates = _creates(config, rng)
    try:
        supervisor.start_all()
        injections += _inject(settings, config.strict, serial=1)
        killer = supervisor.killer(stop_killing, config.kill_every, rng)
        started = time.monotonic()
        pace = config.submit_over / max(1, len(creates))
        for index, create in enumerate(creates):
            submit(settings, [create])
            if index == len(creates) // 2:
                injections += _inject(settings, config.strict, serial=2)
            time.sleep(max(0.0, started + (index + 1) * pace - time.monotonic()))  # pacing
        ids = [create.execution_id for create in creates]

        def ended() -> bool:
            supervisor.check_exits()
            return all(_terminal(recorder.latest(each)) for each in ids)

        timed_out = _wait(recorder, ended, config.timeout, "submitted executions ended")
        stop_killing.set()
        killer.join(timeout=30)
        # Records read only at a start (`instances`, the executors' `concurrency-slots`) are
        # read by the next one: restart each executor and worker once, cleanly, so each
        # injected record was read by some start, whatever the kills happened to hit.
        for instance, role in supervisor.instances.items():
            if role in ("executor", "worker"):
                supervisor.restart(instance)
        children = _children(recorder, set(ids))
        _wait(recorder, lambda: all(_terminal(c) for c in children()), 120, "children ended")
        figures = _check(settings, recorder, supervisor, creates, injections, config)
        if timed_out:
            figures.notes.append(timed_out)
    finally:
        stop_killing.set()
        codes = supervisor.stop()
        recorder.close()
    figures.add(
        "services stopped cleanly at the end",
        f"{sum(1 for c in codes.values() if c == 0)}/{len(codes)}",
        all(c == 0 for c in codes.values()),
    )
    figures.notes.append(f"logs: {work}")
    return figures


def _terminal(execution: Execution | None) -> bool:
    return execution is not None and execution.state.current.is_terminated


def _children(recorder: Recorder, submitted: set[str]):  # type: ignore[no-untyped-def]
    def found() -> list[Execution]:
        with recorder.lock:
            return [e for i, e in recorder.observed.latest.items() if i not in submitted]

    return found


def _wait(recorder: Recorder, condition, timeout: float, what: str) -> str | None:  # type: ignore[no-untyped-def]
    try:
        recorder.wait(condition, timeout, what)
    except TimeoutError as exc:
        return str(exc)
    return None


def _check(
    settings: KestrelSettings,
    recorder: Recorder,
    supervisor: Supervisor,
    creates: list[CreateExecution],
    injections: list[Injection],
    config: ChaosConfig,
) -> Figures:
    figures = Figures()
    with recorder.lock:
        latest = dict(recorder.observed.latest)
        seqs = {key: list(values) for key, values in recorder.observed.seqs.items()}
        records = recorder.observed.snapshot_records
    # A long execution's last snapshot may be its header: its runs are on task-runs.
    latest = {key: complete(settings, execution) for key, execution in latest.items()}
    submitted = {c.execution_id: EXPECTED[c.flow_id] for c in creates}
    finals = [latest[i] for i in submitted if i in latest]
    terminal = [e for e in finals if e.state.current.is_terminated]
    right = [e for e in terminal if e.state.current is submitted[e.id]]
    children = [e for i, e in latest.items() if i not in submitted]
    figures.add("executions submitted", len(submitted))
    figures.add("  terminal", len(terminal), len(terminal) == len(submitted))
    figures.add("  in the expected state", len(right), len(right) == len(submitted))
    figures.add(
        "  lost (not terminal)", len(submitted) - len(terminal), len(terminal) == len(submitted)
    )
    child_ok = [e for e in children if e.flow_id == CHILD[0] and e.state.current is CHILD[1]]
    figures.add(
        "subflow children, SUCCESS",
        f"{len(child_ok)}/{len(children)}",
        len(child_ok) == len(children),
    )
    limited = [e for e in terminal if e.flow_id == LIMITED[0]]
    most = checker.most_at_once(limited)
    figures.add(f"most {LIMITED[0]} running at once (limit {LIMITED[1]})", most, most <= LIMITED[1])
    twice = checker.task_runs_applied_twice(latest.values())
    figures.add("task runs applied more than once", twice, twice == 0)
    gaps, repeats = checker.seq_faults(seqs)
    figures.add("snapshot seq gaps on executions", gaps, gaps == 0)
    figures.add("snapshot seq repeats on executions", repeats, repeats == 0)
    retained = checker.retained_snapshots(settings)
    figures.add("snapshots read live / still on the topic", f"{records}/{retained}")
    wrong, waited = checker.index_mismatches(settings, latest, timeout=180)
    figures.add("ES documents differing from the last snapshot", wrong, wrong == 0)
    figures.add("  indexer caught up after the end in", f"{waited:.1f}s")
    _dead_letter_lines(figures, settings, recorder, injections, config.strict)
    figures.add("kills made (kill -9, same-id restart)", len(supervisor.kills))
    for role, seconds in sorted(
        checker.recovery_seconds(supervisor.kills, recorder.observed).items()
    ):
        killed = sum(1 for kill in supervisor.kills if kill.role == role)
        figures.add(
            f"  {role}: kill -> next committed batch",
            f"{checker.p50_max(seconds)} ({len(seconds)}/{killed})",
        )
    exits = supervisor.exits
    figures.add("services that exited by themselves", len(exits), not exits)
    for each in exits[:5]:
        figures.notes.append(f"{each.instance} exited {each.code}: {each.last_line[:200]}")
    return figures


def _dead_letter_lines(
    figures: Figures,
    settings: KestrelSettings,
    recorder: Recorder,
    injections: list[Injection],
    strict: bool,
) -> None:
    expected = [i for i in injections if (i.topic, i.kind) not in NOT_DEAD_LETTERED]

    def all_found() -> bool:
        return len(checker.matched(expected, checker.dead_letters(settings))) == len(expected)

    _wait(recorder, all_found, 60, "dead letters of the injected messages")
    found = set(checker.matched(injections, checker.dead_letters(settings)))
    figures.add("injected malformed messages", len(injections))
    for topic in dict.fromkeys(i.topic for i in injections):
        mine = [i for i in injections if i.topic == topic and i.kind != UNKNOWN_EXECUTION]
        missing = [i for i in mine if i not in found]
        reasons = sorted({NOT_DEAD_LETTERED.get((i.topic, i.kind), "") for i in missing})
        known = "; ".join(reasons) if missing and all(reasons) else None
        line = f"  {topic}: found in dead-letters"
        figures.add(line, f"{len(mine) - len(missing)}/{len(mine)}", not missing, known)
    unknown = [i for i in injections if i.kind == UNKNOWN_EXECUTION]
    hits = [i for i in unknown if i in found]
    gap = NOT_DEAD_LETTERED.get((unknown[0].topic, UNKNOWN_EXECUTION)) if unknown else None
    label = "  unknown-execution messages dead-lettered"
    figures.add(label, f"{len(hits)}/{len(unknown)}", len(hits) == len(unknown), gap)
    if not strict and STOPS_A_SERVICE:
        skipped = sorted(STOPS_A_SERVICE)
        reasons = sorted(set(STOPS_A_SERVICE.values()))
        label = "not injected: would stop a service"
        figures.add(label, len(skipped), False, " / ".join(reasons))
        names = ", ".join(f"{topic}/{kind}" for topic, kind in skipped)
        figures.notes.append(f"not injected (--strict injects them): {names}")
