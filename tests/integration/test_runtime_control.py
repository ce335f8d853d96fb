"""Kill, resume and dead letters across processes: CLI -> Kafka -> executor -> workers."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import confluent_kafka
import pytest
from runtime_helpers import (
    KESTREL,
    KestrelProcess,
    SnapshotWatcher,
    ended,
    service_env,
    standalone_server,
    submit,
)

from orchestrator.kafka import TOPICS, Topics, TopicSpec, TopicTail, partition_for
from orchestrator.models.execution import Execution, new_id
from orchestrator.models.messages import CreateExecution, DeadLetter
from orchestrator.models.state import StateType
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def server(deployed: KestrelSettings, tmp_path: Path) -> Iterator[KestrelProcess]:
    with standalone_server(deployed, tmp_path) as process:
        yield process


def cli(settings: KestrelSettings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KESTREL), *args],
        env=service_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def start(settings: KestrelSettings, flow_id: str, **inputs: object) -> str:
    create = CreateExecution(
        execution_id=new_id(), namespace="kestrel.crash", flow_id=flow_id, inputs=inputs or None
    )
    return submit(settings, [create])[0]


def run_state(execution: Execution, task_id: str) -> StateType | None:
    run = next((r for r in execution.task_run_list if r.task_id == task_id), None)
    return run.state.current if run else None


def test_kill_a_sleeping_execution(
    settings: KestrelSettings, server: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    execution_id = start(settings, "sleepy")
    watcher.wait_for([execution_id], lambda ex: run_state(ex, "nap") is StateType.RUNNING, 60)
    result = cli(settings, "execution", "kill", execution_id)
    assert result.returncode == 0, result.stderr
    killed = watcher.wait_for([execution_id], ended, 30)[execution_id]
    assert killed.state.current is StateType.KILLED
    assert run_state(killed, "nap") is StateType.KILLED
    assert run_state(killed, "never") is None
    assert killed.timers == ()


def test_resume_a_paused_execution_with_inputs(
    settings: KestrelSettings, server: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    execution_id = start(settings, "approval")
    paused = watcher.wait_for([execution_id], ended, 60)[execution_id]
    assert paused.state.current is StateType.PAUSED
    result = cli(settings, "execution", "resume", execution_id, "--input", "approver=ops")
    assert result.returncode == 0, result.stderr
    done = watcher.wait_for([execution_id], lambda ex: ex.state.current.is_terminated, 30)
    execution = done[execution_id]
    assert execution.state.current is StateType.SUCCESS
    approved = next(r for r in execution.task_run_list if r.task_id == "approved")
    assert approved.outputs == {"value": "approved by ops"}


def test_kill_a_long_shell_task_ends_its_process_group(
    settings: KestrelSettings, server: KestrelProcess, watcher: SnapshotWatcher, tmp_path: Path
) -> None:
    pid_file = tmp_path / "shell.pid"
    execution_id = start(settings, "slow-shell", seconds=120, pid_file=str(pid_file))
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, server.output()[-2000:]
        time.sleep(0.05)  # waiting for the task's shell to write its pid, bounded
    group = os.getpgid(int(pid_file.read_text()))
    assert cli(settings, "execution", "kill", execution_id).returncode == 0
    killed = watcher.wait_for([execution_id], ended, 30)[execution_id]
    assert killed.state.current is StateType.KILLED
    assert run_state(killed, "work") is StateType.KILLED
    deadline = time.monotonic() + 15
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            break  # the whole process group is gone
        assert time.monotonic() < deadline, "the shell's process group survived the kill"
        time.sleep(0.05)  # the reaper takes a moment to clear ended processes


def _dead_letter_of(letters: TopicTail, service: str, timeout: float = 30) -> DeadLetter:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in letters.poll(timeout=0.5):
            letter = record.decoded(TOPICS.dead_letters)
            if letter is not None and letter.service == service:
                return letter
    raise AssertionError(f"no dead letter from the {service}")


def _foreign_bytes(settings: KestrelSettings, topic: TopicSpec[Any], key: bytes) -> None:
    foreign = confluent_kafka.Producer(settings.kafka.producer_config())  # a foreign client
    where = partition_for(key.decode(), settings.kafka.partitions)
    foreign.produce(Topics.from_settings(settings).name(topic), b"{not json", key, partition=where)
    assert foreign.flush(10) == 0


def test_malformed_commands_go_to_dead_letters_and_processing_goes_on(
    settings: KestrelSettings, server: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    with TopicTail(settings, [TOPICS.dead_letters], from_beginning=True) as letters:
        _foreign_bytes(settings, TOPICS.execution_commands, b"bad-key")
        execution_id = start(settings, "parallel-work")
        done = watcher.wait_for([execution_id], ended, 60)
        assert done[execution_id].state.current is StateType.SUCCESS
        letter = _dead_letter_of(letters, "executor")
    assert letter.key == "bad-key" and letter.value == "{not json"
    assert letter.topic.endswith("execution-commands")
    assert letter.error


def test_an_unreadable_snapshot_does_not_stop_the_executor_from_starting(
    deployed: KestrelSettings, watcher: SnapshotWatcher, tmp_path: Path
) -> None:
    settings = deployed
    _foreign_bytes(settings, TOPICS.executions, b"broken-execution")  # restored at start
    with (
        TopicTail(settings, [TOPICS.dead_letters], from_beginning=True) as letters,
        standalone_server(settings, tmp_path),
    ):
        execution_id = start(settings, "parallel-work")
        done = watcher.wait_for([execution_id], ended, 60)
        assert done[execution_id].state.current is StateType.SUCCESS
        letter = _dead_letter_of(letters, "executor")
    assert letter.key == "broken-execution" and letter.topic.endswith("executions")
    assert "broken-execution" not in watcher.snapshots


def test_execution_run_wait_exit_codes(settings: KestrelSettings, server: KestrelProcess) -> None:
    ok = cli(settings, "execution", "run", "kestrel.crash", "parallel-work", "--wait", "--json")
    assert ok.returncode == 0, ok.stderr
    assert '"current": "SUCCESS"' in ok.stdout
    missing = cli(settings, "execution", "run", "kestrel.crash", "no-such-flow", "--wait")
    assert missing.returncode == 2 and "no flow kestrel.crash.no-such-flow" in missing.stderr
    bad = cli(settings, "execution", "run", "kestrel.crash", "slow-shell", "-i", "seconds=abc")
    assert bad.returncode == 2 and "input 'seconds'" in bad.stderr


def test_secret_inputs_never_cross_kafka_in_clear(
    settings: KestrelSettings, server: KestrelProcess, watcher: SnapshotWatcher
) -> None:
    clear = "never-in-clear-3141"
    execution_id = start(settings, "secret-input", token=clear)
    done = watcher.wait_for([execution_id], ended, 60)[execution_id]
    assert done.state.current is StateType.SUCCESS, server.output()[-2000:]
    snapshots = watcher.snapshots[execution_id]
    assert all(clear not in snapshot.model_dump_json() for snapshot in snapshots)
    logs = [entry.message for entry in watcher.logs if entry.execution_id == execution_id]
    assert "calling the API with ********" in logs
    assert not any(clear in message for message in logs)
