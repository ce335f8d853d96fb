from __future__ import annotations

import socket

import pytest

from indexer.service import default_instance_id
from orchestrator.kafka import group_id
from orchestrator.settings import SettingsError, load_settings


def test_indexer_defaults_follow_the_architecture() -> None:
    settings = load_settings()
    options = settings.indexer
    assert options.group_id is None  # derived from the topic prefix
    assert group_id(settings.kafka.topic_prefix, "indexer") == "kestrel-indexer"
    assert (options.batch_size, options.flush_interval) == (500, 1.0)
    assert options.retry_max_elapsed is None  # retry until Elasticsearch is back
    assert options.retry_initial_backoff < options.retry_max_backoff


def test_indexer_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESTREL_INDEXER_BATCH_SIZE", "100")
    monkeypatch.setenv("KESTREL_INDEXER__FLUSH_INTERVAL", "0.25")
    monkeypatch.setenv("KESTREL_INDEXER_RETRY_MAX_ELAPSED", "600")
    options = load_settings().indexer
    assert (options.batch_size, options.flush_interval, options.retry_max_elapsed) == (
        100,
        0.25,
        600.0,
    )
    monkeypatch.setenv("KESTREL_INDEXER_BATCH_SIZE", "0")
    with pytest.raises(SettingsError, match="batch_size"):
        load_settings()


def test_instance_id_is_stable_per_host_or_configured() -> None:
    assert default_instance_id(load_settings()) == f"{socket.gethostname()}-indexer"
    assert default_instance_id(load_settings(kafka={"instance_id": "pod-3"})) == "pod-3-indexer"
    chosen = load_settings(indexer={"instance_id": "indexer-a"})
    assert default_instance_id(chosen) == "indexer-a"
