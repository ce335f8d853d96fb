from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import unavailable
from indexer_samples import T0, log_line, quick, running, snapshots, uncommitted
from indexer_samples import wait_until as wait

from indexer.errors import GaveUpError
from indexer.service import Indexer
from orchestrator.backends import BackendError, EmbeddedBackends, free_port, noida_binary
from orchestrator.backends.resolve import ELASTICSEARCH_ENV
from orchestrator.kafka import TOPICS, KafkaProducer, ensure_topics
from orchestrator.models.state import StateType
from orchestrator.repository import ExecutionFilter, LogFilter, Repositories
from orchestrator.settings import KestrelSettings

pytestmark = pytest.mark.integration

OUTAGE = 10.0
"""Seconds Elasticsearch stays down, as the issue asks."""


def produce(settings: KestrelSettings, prefix: str, count: int) -> None:
    with KafkaProducer(settings) as producer:
        for n in range(count):
            for snapshot in snapshots(f"{prefix}-{n}", flow_id=prefix):
                producer.send(TOPICS.executions, snapshot.id, snapshot)
                line = log_line(snapshot, f"seq {snapshot.seq}", T0 + timedelta(seconds=n))
                producer.send(TOPICS.logs, snapshot.id, line)


def test_elasticsearch_down_for_ten_seconds_loses_nothing(
    settings: KestrelSettings, tmp_path: Path
) -> None:
    if os.environ.get(ELASTICSEARCH_ENV):
        pytest.skip("stops its own Elasticsearch; an external one cannot be stopped here")
    try:
        noida_binary()
    except BackendError as exc:
        unavailable(str(exc))
    server = EmbeddedBackends(tmp_path / "es", kafka=False).start()
    url = server.elasticsearch_url
    port = int(url.rsplit(":", 1)[1])
    settings = quick(
        settings.model_copy(
            update={"elasticsearch": settings.elasticsearch.model_copy(update={"url": url})}
        )
    )
    ensure_topics(settings)
    produce(settings, "before", 5)
    indexer = Indexer(settings)
    restarted: EmbeddedBackends | None = None
    try:
        with running(indexer), Repositories.from_settings(settings) as repos:
            wait(lambda: repos.executions.count() == 5, what="first executions indexed")
            wait(lambda: uncommitted(settings) == 0, what="first executions committed")

            server.stop()
            stopped = time.monotonic()
            produce(settings, "during", 10)
            failures = indexer.stats.retries
            wait(
                lambda: (
                    indexer.stats.retries >= failures + 3 and time.monotonic() - stopped >= OUTAGE
                ),
                timeout=OUTAGE + 15,
                what="ten seconds of failing bulk requests",
            )
            # Nothing written, so nothing committed: the records stay in Kafka.
            assert uncommitted(settings) == 30
            assert uncommitted(settings, TOPICS.logs) == 30

            restarted = EmbeddedBackends(
                tmp_path / "es", kafka=False, elasticsearch_port=port
            ).start()
            done = ExecutionFilter(states=(StateType.SUCCESS,))
            wait(lambda: repos.executions.count(done) == 15, timeout=20, what="all indexed")
            wait(lambda: repos.logs.count(LogFilter()) == 45, what="every log line indexed")
            during = repos.executions.find(ExecutionFilter(flow_id="during"), size=100)
            assert {item.seq for item in during.items} == {3} and during.total == 10
            wait(lambda: uncommitted(settings) == 0, what="offsets committed once written")
            assert indexer.stats.dead_letters == 0
    finally:
        for backend in (server, restarted):
            if backend is not None:
                backend.stop()


def test_unreachable_elasticsearch_at_start_then_stop_or_give_up(settings: KestrelSettings) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    elasticsearch = settings.elasticsearch.model_copy(update={"url": nowhere})
    waiting = quick(settings.model_copy(update={"elasticsearch": elasticsearch}))
    indexer = Indexer(waiting)
    thread = threading.Thread(target=indexer.run)
    thread.start()
    wait(lambda: indexer.stats.retries >= 2, what="retries against a closed port")
    assert not indexer.ready.is_set()  # never subscribed: nothing read, nothing committed
    indexer.stop()
    thread.join(5)
    assert not thread.is_alive(), "stop() must end the backoff promptly"

    giving_up = quick(waiting, retry_max_elapsed=1.0)
    with pytest.raises(GaveUpError, match="Nothing was committed"):
        Indexer(giving_up).run()
