from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from orchestrator.backends import BackendError, Backends, EmbeddedBackends, free_port, noida_binary

pytestmark = pytest.mark.integration


@pytest.fixture
def noida() -> None:
    try:
        noida_binary()
    except BackendError as exc:
        pytest.skip(str(exc))


def topics_at(bootstrap: str) -> set[str]:
    return set(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5).topics)


def test_session_backends_answer(backends: Backends) -> None:
    assert topics_at(backends.kafka_bootstrap) is not None
    with urllib.request.urlopen(backends.elasticsearch_url, timeout=5) as response:
        assert "version" in json.load(response)


@pytest.mark.usefixtures("noida")
def test_start_stop_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "noida"
    with EmbeddedBackends(data_dir) as server:
        pid = server.pid
        assert pid is not None and server.running
        admin = AdminClient({"bootstrap.servers": server.kafka_bootstrap})
        admin.create_topics([NewTopic("kept.topic", 2, 1)])["kept.topic"].result(10)
        assert "GLIBC" not in server.output()
        assert server.kafka_bootstrap in server.output()
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # A graceful stop saved the topic: a new server on the same data dir has it.
    with EmbeddedBackends(data_dir) as again:
        assert "kept.topic" in topics_at(again.kafka_bootstrap)


@pytest.mark.usefixtures("noida")
def test_port_taken_is_a_clear_error(tmp_path: Path) -> None:
    with EmbeddedBackends(tmp_path / "first", elasticsearch=False) as first:
        taken = int(first.kafka_bootstrap.rsplit(":", 1)[1])
        second = EmbeddedBackends(
            tmp_path / "second",
            kafka_port=taken,
            elasticsearch_port=free_port(),
            startup_timeout=10,
        )
        with pytest.raises(BackendError) as caught:
            second.start()
        message = str(caught.value)
        assert f"port {taken} is already in use" in message
        assert "GLIBC" not in message
        assert not second.running
        assert first.running  # the other server is untouched
