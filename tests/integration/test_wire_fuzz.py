"""A burst of generated wire messages on every consumed topic of a running standalone server.

It must go on serving (a normal flow still ends SUCCESS, the process stops cleanly), and
every message that does not decode must be in ``dead-letters`` with its topic, offset and a
reason, except on the topics whose readers are known not to dead-letter (tests/chaos/gaps.py).
Topics read only when a service starts are checked after a restart of the server.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import confluent_kafka
import pytest
from chaos import checker
from chaos.gaps import NOT_DEAD_LETTERED
from chaos.injector import NOT_JSON, Injection
from hypothesis import HealthCheck, Phase, given, settings
from runtime_helpers import SnapshotWatcher, standalone_server, submit
from wire_fuzz import CONSUMED, values

from orchestrator.kafka import TOPICS, Topics, TopicSpec
from orchestrator.models.execution import new_id
from orchestrator.models.messages import CreateExecution
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration
PER_TOPIC = 12


def generated(spec: TopicSpec[Any], count: int) -> list[bytes]:
    """``count`` values drawn by hypothesis for ``spec``'s topic (no shrinking: one burst)."""
    found: list[bytes] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(values(spec))
    def collect(value: bytes) -> None:
        found.append(value)

    collect()
    return found[:count]


def _produce(settings_: KestrelSettings, burst: list[tuple[TopicSpec[Any], bytes | None, bytes]]):  # type: ignore[no-untyped-def]
    names = Topics.from_settings(settings_)
    producer = confluent_kafka.Producer(
        {
            "bootstrap.servers": settings_.kafka.bootstrap,
            # Batches stay under the broker's limit; the largest value drawn is ~600 KB.
            "message.max.bytes": 1_000_000,
        }
    )
    sent: list[Injection] = []

    def noted(spec: TopicSpec[Any]):  # type: ignore[no-untyped-def]
        def on_delivery(error: Any, message: Any) -> None:
            assert error is None, error
            key = message.key()
            sent.append(
                Injection(spec.logical, "fuzz", key.hex(), message.partition(), message.offset())
            )

        return on_delivery

    for spec, key, value in burst:
        producer.produce(names.name(spec), key=key, value=value, on_delivery=noted(spec))
        producer.poll(0)
    producer.flush(30)
    return sent


def _undecodable(spec: TopicSpec[Any], value: bytes) -> bool:
    if not value:
        # The embedded broker acknowledges an empty value but never delivers the record to
        # any consumer (measured: offsets skipped), so nobody can dead-letter it.
        return False
    try:
        spec.adapter.validate_json(value)
    except Exception:
        return True
    return False


RESTORE_ONLY = (TOPICS.instances, TOPICS.concurrency_slots, TOPICS.task_runs)
"""Topics read only when a service starts (its registration, the executor's restore)."""


def _serve_a_flow(deployed: KestrelSettings, watcher: SnapshotWatcher, server: Any) -> None:
    normal = CreateExecution(
        execution_id=new_id(), namespace="kestrel.crash", flow_id="parallel-work"
    )
    submit(deployed, [normal])
    done = watcher.wait_for([normal.execution_id], lambda e: e.state.current.is_terminated, 90)
    assert done[normal.execution_id].state.current is StateType.SUCCESS, server.output()[-3000:]


def _run_burst(
    deployed: KestrelSettings,
    watcher: SnapshotWatcher,
    tmp_path: Path,
    burst: list[tuple[TopicSpec[Any], bytes | None, bytes]],
) -> None:
    # Delivery reports come in partition order, not send order: match them by key.
    by_key = {(key or b"").hex(): (spec, value) for spec, key, value in burst}
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
    instance_id = f"fuzz-{new_id()[:8]}"
    with standalone_server(deployed, tmp_path / "first", instance_id) as server:
        _serve_a_flow(deployed, watcher, server)
        sent = _produce(deployed, burst)
        _serve_a_flow(deployed, watcher, server)
        undecodable = {
            each
            for each in sent
            for spec, value in [by_key[each.key]]
            if _undecodable(spec, value) and (spec.logical, NOT_JSON) not in NOT_DEAD_LETTERED
        }
        live = {each for each in undecodable if TOPICS.get(each.topic) not in RESTORE_ONLY}
        _expect_dead_letters(deployed, live, by_key)
        assert server.process is not None and server.process.poll() is None, server.output()
    # What is read only at a start is read now: the next start must not stop on it either.
    with standalone_server(deployed, tmp_path / "second", instance_id) as server:
        _serve_a_flow(deployed, watcher, server)
        _expect_dead_letters(deployed, undecodable - live, by_key)
        assert server.process is not None and server.process.poll() is None, server.output()


def _expect_dead_letters(
    deployed: KestrelSettings, expected: set[Injection], by_key: dict[str, Any]
) -> None:
    deadline = time.monotonic() + 60
    while True:
        letters = checker.dead_letters(deployed)
        found = set(checker.matched(expected, letters))
        if found == expected or time.monotonic() > deadline:
            break
        time.sleep(0.5)  # polling for a condition, bounded by the deadline
    missing = sorted(expected - found, key=repr)
    assert not missing, [(each, by_key[each.key][1][:120]) for each in missing[:5]]
    for each in found:
        for letter in letters[(each.topic, each.partition, each.offset)]:
            assert letter.error and letter.topic.endswith(each.topic) and letter.offset >= 0


def test_burst_of_generated_messages_is_dead_lettered_and_the_server_goes_on(
    deployed: KestrelSettings, watcher: SnapshotWatcher, tmp_path: Path
) -> None:
    # Keys stay UTF-8 here: an undecodable key with an undecodable value is its own test.
    burst = [
        (spec, f"fuzz/{spec.logical}/{n}".encode(), value)
        for spec in CONSUMED
        for n, value in enumerate(generated(spec, PER_TOPIC))
    ]
    _run_burst(deployed, watcher, tmp_path, burst)


def test_undecodable_key_and_value_is_dead_lettered(
    deployed: KestrelSettings, watcher: SnapshotWatcher, tmp_path: Path
) -> None:
    burst = [
        (TOPICS.execution_commands, b"\xff\xfe-bad-key", b"\xffnot json"),
        (TOPICS.worker_tasks, b"\xff\xfe-bad-key", b"\xffnot json"),
    ]
    _run_burst(deployed, watcher, tmp_path, burst)
