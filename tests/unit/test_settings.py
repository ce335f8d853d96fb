from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from orchestrator.settings import (
    ElasticsearchSettings,
    KafkaSettings,
    KestrelSettings,
    SettingsError,
    kafka_settings,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("KESTREL_"):
            monkeypatch.delenv(name)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = load_settings()
    assert settings.kafka.bootstrap == "127.0.0.1:9092"
    assert settings.kafka.topic_prefix == "kestrel."
    assert settings.kafka.partitions == 12
    assert settings.kafka.replication_factor == 1
    assert settings.kafka.message_max_bytes == 1024 * 1024
    assert settings.elasticsearch.url == "http://127.0.0.1:9200"
    assert settings.elasticsearch.index_prefix == "kestrel-"
    assert settings.storage.base_dir == Path.home() / ".kestrel" / "storage"


def test_flat_env_names_from_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESTREL_KAFKA_BOOTSTRAP", "broker-1:9092,broker-2:9092")
    monkeypatch.setenv("KESTREL_ELASTICSEARCH_URL", "https://es.example:9200")
    monkeypatch.setenv("KESTREL_KAFKA_SASL_USERNAME", "kestrel")
    monkeypatch.setenv("KESTREL_DATA_DIR", "/srv/kestrel")
    settings = KestrelSettings()
    assert settings.kafka.bootstrap == "broker-1:9092,broker-2:9092"
    assert settings.elasticsearch.url == "https://es.example:9200"
    assert settings.kafka.sasl_username == "kestrel"
    assert settings.data_dir == Path("/srv/kestrel")


def test_nested_delimiter_and_json_dicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESTREL_KAFKA__PARTITIONS", "24")
    monkeypatch.setenv("KESTREL_STORAGE__BASE_DIR", "/data/files")
    monkeypatch.setenv("KESTREL_KAFKA_EXTRA", '{"linger.ms": "20"}')
    settings = KestrelSettings()
    assert settings.kafka.partitions == 24
    assert settings.storage.base_dir == Path("/data/files")
    assert settings.kafka.client_config()["linger.ms"] == "20"


def test_yaml_file_then_env_then_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(
        tmp_path / "kestrel.yaml",
        """
kafka:
  bootstrap: from-file:9092
  partitions: 6
  topic_prefix: prod.kestrel.
elasticsearch:
  url: http://from-file:9200
storage:
  base_dir: ~/files
""",
    )
    from_file = load_settings(config)
    assert from_file.kafka.bootstrap == "from-file:9092"
    assert from_file.kafka.partitions == 6
    assert from_file.kafka.topic_prefix == "prod.kestrel."
    assert from_file.storage.base_dir == Path.home() / "files"

    monkeypatch.setenv("KESTREL_KAFKA_BOOTSTRAP", "from-env:9092")
    overridden = load_settings(config)
    assert overridden.kafka.bootstrap == "from-env:9092"
    assert overridden.kafka.partitions == 6  # the rest of the section still comes from the file
    assert overridden.elasticsearch.url == "http://from-file:9200"

    explicit = load_settings(config, kafka={"bootstrap": "from-argument:9092"})
    assert explicit.kafka.bootstrap == "from-argument:9092"
    assert explicit.kafka.partitions == 6


def test_config_file_from_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "k.yaml", "kafka:\n  partitions: 3\n")
    monkeypatch.setenv("KESTREL_CONFIG", str(config))
    assert KestrelSettings().kafka.partitions == 3
    assert load_settings().kafka.partitions == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kafka:\n  partitons: 3\n", "partitons"),
        ("kafka: [1, 2\n", "not valid YAML"),
        ("- just\n- a list\n", "must hold a mapping"),
        ("kafka:\n  topic_prefix: my_prefix.\n", "'_'"),
        ("kafka:\n  partitions: 0\n", "partitions"),
    ],
)
def test_invalid_files_are_reported(tmp_path: Path, text: str, expected: str) -> None:
    config = write(tmp_path / "bad.yaml", text)
    with pytest.raises(SettingsError, match=expected):
        load_settings(config)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read settings file"):
        load_settings(tmp_path / "nope.yaml")


@pytest.mark.parametrize("prefix", ["kestrel_", "a b.", "kestrel/"])
def test_topic_prefix_rejects_bad_characters(prefix: str) -> None:
    with pytest.raises(ValueError, match="topic prefix"):
        KafkaSettings(topic_prefix=prefix)


def test_secrets_never_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = write(
        tmp_path / "secret.yaml",
        """
kafka:
  security_protocol: SASL_SSL
  sasl_mechanism: SCRAM-SHA-512
  sasl_username: kestrel
  sasl_password: kafka-pass-123
  extra:
    ssl.key.password: key-pass-456
    linger.ms: "5"
elasticsearch:
  url: https://elastic:url-pass-789@es.example:9200
  username: elastic
  password: es-pass-000
  api_key: api-key-111
""",
    )
    settings = load_settings(config)
    logging.getLogger("test").warning("settings: %s / %r", settings, settings)
    shown = repr(settings) + str(settings) + caplog.text + repr(settings.kafka)
    for secret in ("kafka-pass-123", "key-pass-456", "url-pass-789", "es-pass-000", "api-key-111"):
        assert secret not in shown
    assert "kestrel" in shown and "linger.ms" in shown  # the rest is still visible
    # The clients do get them.
    config_dict = settings.kafka.client_config()
    assert config_dict["sasl.password"] == "kafka-pass-123"
    assert config_dict["ssl.key.password"] == "key-pass-456"
    assert config_dict["security.protocol"] == "sasl_ssl"
    assert config_dict["sasl.mechanism"] == "SCRAM-SHA-512"
    assert settings.elasticsearch.client_kwargs()["api_key"] == "api-key-111"


def test_producer_config() -> None:
    kafka = KafkaSettings(bootstrap="b:1", message_max_bytes=2_000_000)
    plain = kafka.producer_config()
    assert plain["partitioner"] == "murmur2_random"
    assert plain["enable.idempotence"] is True
    assert plain["message.max.bytes"] == 2_000_000
    assert "transactional.id" not in plain
    transactional = kafka.producer_config("executor-0", **{"linger.ms": 1})
    assert transactional["transactional.id"] == "executor-0"
    assert transactional["linger.ms"] == 1
    assert transactional["bootstrap.servers"] == "b:1"


def test_consumer_config() -> None:
    kafka = KafkaSettings(instance_id="executor-0")
    config = kafka.consumer_config("kestrel-executor")
    assert config["group.id"] == "kestrel-executor"
    assert config["group.instance.id"] == "executor-0"
    assert config["isolation.level"] == "read_committed"
    assert config["enable.auto.commit"] is False
    assert int(config["receive.message.max.bytes"]) >= 1_000_000_000
    other = kafka.consumer_config("g", instance_id="pod-7", read_committed=False)
    assert other["group.instance.id"] == "pod-7"
    assert other["isolation.level"] == "read_uncommitted"
    assert "group.instance.id" not in KafkaSettings().consumer_config("g")


def test_extra_overrides_kestrel_choices_and_overrides_win() -> None:
    kafka = KafkaSettings(extra={"acks": "1", "client.id": "x"})
    assert kafka.producer_config()["acks"] == "1"
    assert kafka.client_config(**{"client.id": "y"})["client.id"] == "y"


def test_elasticsearch_client_kwargs() -> None:
    basic = ElasticsearchSettings(url="http://es:9200", username="u", password="p")
    assert basic.client_kwargs()["basic_auth"] == ("u", "p")
    assert basic.client_kwargs()["hosts"] == ["http://es:9200"]
    assert "basic_auth" not in ElasticsearchSettings().client_kwargs()
    with pytest.raises(ValueError, match="index prefix"):
        ElasticsearchSettings(index_prefix="Kestrel-")


def test_settings_are_immutable() -> None:
    settings = load_settings()
    with pytest.raises(ValueError):
        settings.kafka.partitions = 3  # type: ignore[misc]


def test_kafka_section_of_either_settings() -> None:
    settings = load_settings(kafka={"partitions": 2})
    assert kafka_settings(settings) is settings.kafka
    assert kafka_settings(settings.kafka) is settings.kafka


def test_consumers_rest_on_the_embedded_broker_unless_configured() -> None:
    from typing import Any, cast

    from orchestrator.backends import Backends
    from orchestrator.cli.services import embedded_idle_after
    from orchestrator.kafka.idle import EMBEDDED_IDLE_AFTER

    embedded = Backends("127.0.0.1:1", "http://127.0.0.1:2", embedded=cast(Any, object()))
    external = Backends("127.0.0.1:1", "http://127.0.0.1:2")
    assert embedded_idle_after(load_settings(), embedded) == EMBEDDED_IDLE_AFTER
    assert embedded_idle_after(load_settings(), external) is None
    configured = load_settings(kafka={"idle_after": 3.0})
    assert embedded_idle_after(configured, embedded) == 3.0
