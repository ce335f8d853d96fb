"""`kestrel execution kill|resume|restart` check the execution before sending a command."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from runtime_helpers import kestrel_cli

from orchestrator.kafka import TOPICS, KafkaProducer, ensure_topics
from orchestrator.models.execution import Execution
from orchestrator.models.state import State, StateType
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration


def test_commands_on_unknown_and_ended_executions_fail(settings: KestrelSettings) -> None:
    ensure_topics(settings)
    done = Execution(
        id="ended0000000000000001",
        namespace="n",
        flow_id="f",
        flow_revision=1,
        seq=3,
        state=State.of(StateType.SUCCESS, datetime(2025, 1, 1, tzinfo=UTC)),
    )
    with KafkaProducer(settings) as producer:
        producer.send(TOPICS.executions, done.id, done)
        producer.flush()

    unknown = kestrel_cli(settings, "execution", "kill", "nope0000000000000001")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "error: execution nope0000000000000001 not found"

    ended = kestrel_cli(settings, "execution", "kill", done.id)
    assert ended.exit_code == 1
    assert f"error: execution {done.id} is SUCCESS; only an execution" in ended.stderr

    resume = kestrel_cli(settings, "execution", "resume", done.id)
    assert resume.exit_code == 1 and "only a PAUSED execution" in resume.stderr

    restart = kestrel_cli(settings, "execution", "restart", done.id)
    assert restart.exit_code == 1 and "no failed, killed or paused task run" in restart.stderr
    assert "requested" not in unknown.output + ended.output + resume.output + restart.output
