"""Session-wide backends (started once) and per-test settings with their own topic prefix."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from runtime_helpers import SnapshotWatcher

from orchestrator.backends import BackendError, Backends, resolve_backends
from orchestrator.kafka.idle import EMBEDDED_IDLE_AFTER
from orchestrator.settings import KafkaSettings, KestrelSettings, load_settings

RUNTIME_FLOWS = Path(__file__).resolve().parent / "flows" / "runtime"
"""The flows the runtime tests deploy (namespace ``kestrel.crash``)."""

TEST_PARTITIONS = 4
"""Partitions of test topics: enough to exercise partitioning, few enough to be quick."""


def idle_after(backends: Backends) -> float | None:
    """``kafka.idle_after`` on ``backends``: resting, as ``server local`` does, when embedded.

    The embedded broker answers empty fetches at once (kafka/idle.py): every idle consumer
    of every test would spin it, and the suite would pay for it on two cores.
    """
    return EMBEDDED_IDLE_AFTER if backends.embedded is not None else None


def unavailable(reason: str) -> NoReturn:
    """Skip a test whose backend is missing; under ``CI=true`` that is a failure instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"backend unavailable under CI: {reason}")
    pytest.skip(f"backend unavailable: {reason}")


def own_backend_settings(work: Path, prefix: str) -> Iterator[KestrelSettings]:
    """Settings on backends of their own (unless real clusters are configured), then stop.

    The session's embedded broker holds every earlier test's topics and groups by then; a
    test that measures recovery under kill -9 gets a fresh one rather than that load.
    """
    try:
        own = resolve_backends(work / "backends", timeout=30)
    except BackendError as exc:
        unavailable(str(exc))
    with own:
        yield load_settings(
            kafka={
                "bootstrap": own.kafka_bootstrap,
                "topic_prefix": f"{prefix}.{uuid.uuid4().hex[:8]}.",
                "partitions": TEST_PARTITIONS,
                "idle_after": idle_after(own),
            },
            elasticsearch={"url": own.elasticsearch_url},
            storage={"base_dir": work / "storage"},
            data_dir=work / "data",
        )


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    """Kafka and Elasticsearch: from KESTREL_KAFKA_BOOTSTRAP / KESTREL_ELASTICSEARCH_URL,
    else embedded (noida-db), started once per session."""
    try:
        running = resolve_backends(tmp_path_factory.mktemp("backends"), timeout=30)
    except BackendError as exc:
        unavailable(str(exc))
    with running:
        yield running


@pytest.fixture
def topic_prefix() -> str:
    """A topic prefix no other test uses (dots only)."""
    return f"test.{uuid.uuid4().hex[:12]}."


@pytest.fixture
def settings(backends: Backends, topic_prefix: str, tmp_path: Path) -> KestrelSettings:
    """Settings pointing at the test backends, with a fresh topic prefix and index prefix."""
    return load_settings(
        kafka={
            "bootstrap": backends.kafka_bootstrap,
            "topic_prefix": topic_prefix,
            "partitions": TEST_PARTITIONS,
            "idle_after": idle_after(backends),
        },
        elasticsearch={
            "url": backends.elasticsearch_url,
            "index_prefix": f"test-{uuid.uuid4().hex[:12]}-",
        },
        storage={"base_dir": tmp_path / "storage"},
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def kafka_settings(settings: KestrelSettings) -> KafkaSettings:
    """The Kafka part of ``settings``."""
    return settings.kafka


@pytest.fixture
def watcher(settings: KestrelSettings) -> Iterator[SnapshotWatcher]:
    """Every snapshot and log line of the test's topics, recorded as they are committed."""
    watching = SnapshotWatcher(settings)
    yield watching
    watching.close()


@pytest.fixture
def deployed(settings: KestrelSettings) -> KestrelSettings:
    """``settings`` with every topic created and the runtime test flows deployed."""
    from orchestrator.cli.deploy import deploy_files
    from orchestrator.kafka import ensure_topics

    ensure_topics(settings)
    deploy_files(settings, [RUNTIME_FLOWS])
    return settings
