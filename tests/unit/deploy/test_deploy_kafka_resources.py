"""The Strimzi KafkaTopic and KafkaUser resources follow the one topic registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_helpers import OVERLAYS, generator, named, of_kind, rendered

from orchestrator.kafka.topics import TOPICS, group_id
from orchestrator.settings import KafkaSettings


def test_committed_kafka_resources_are_what_the_registry_gives() -> None:
    stale = [
        path.name
        for path, text in generator().render().items()
        if path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], (
        f"{stale} differ from orchestrator/kafka/topics.py: "
        "run python deploy/kubernetes/generate_kafka.py and make deploy-manifests"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_topic_of_the_registry_is_a_kafka_topic_with_its_settings(overlay: str) -> None:
    documents = rendered(overlay)
    defaults = KafkaSettings()
    topics = {each["metadata"]["name"]: each["spec"] for each in of_kind(documents, "KafkaTopic")}
    assert set(topics) == {spec.name(defaults.topic_prefix) for spec in TOPICS}
    for spec in TOPICS:
        topic = topics[spec.name(defaults.topic_prefix)]
        assert topic["partitions"] == spec.partitions_for(defaults.partitions), spec.logical
        assert topic["config"] == spec.topic_configs(), spec.logical


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_topic_partitions_match_the_settings_of_the_services(overlay: str) -> None:
    documents = rendered(overlay)
    config = named(documents, "ConfigMap", "kestrel-config")["data"]
    prefix = config["KESTREL_KAFKA__TOPIC_PREFIX"]
    partitions = int(config["KESTREL_KAFKA__PARTITIONS"])
    topics = {each["metadata"]["name"]: each["spec"] for each in of_kind(documents, "KafkaTopic")}
    for spec in TOPICS:
        assert topics[spec.name(prefix)]["partitions"] == spec.partitions_for(partitions)


def _acls(user: dict[str, object]) -> dict[str, list[tuple[str | None, list[str]]]]:
    by_type: dict[str, list[tuple[str | None, list[str]]]] = {}
    for acl in user["spec"]["authorization"]["acls"]:  # type: ignore[index]
        resource = acl["resource"]
        assert resource.get("patternType", "literal") in ("prefix", "literal")
        by_type.setdefault(resource["type"], []).append((resource.get("name"), acl["operations"]))
    return by_type


def _allowed(acls: list[tuple[str | None, list[str]]], name: str, operation: str) -> bool:
    return any(
        name.startswith(prefix or "") and operation in operations for prefix, operations in acls
    )


@pytest.mark.parametrize("prefix", ["kestrel.", "acme.prod-"])
def test_the_kafka_user_may_do_what_every_service_does(prefix: str) -> None:
    acls = _acls(generator().kafka_user(prefix))
    for spec in TOPICS:
        for operation in ("Read", "Write", "Create", "Describe", "DescribeConfigs"):
            assert _allowed(acls["topic"], spec.name(prefix), operation), (spec.logical, operation)
    for role in ("executor", "workers", "indexer", "scheduler"):
        assert _allowed(acls["group"], group_id(prefix, role), "Read"), role
    # orchestrator/kafka/incarnations.py: <group_id(prefix, role-instance)>-<incarnation>
    transactional = f"{group_id(prefix, 'executor-kestrel-executor-0')}-0f3c"
    assert _allowed(acls["transactionalId"], transactional, "Write")
    assert _allowed(acls["transactionalId"], transactional, "Describe")
    # Log tails and index rebuilds read through short-lived kestrel-* groups.
    assert _allowed(acls["group"], "kestrel-tail-5e1f", "Read")
    assert ("IdempotentWrite" in acls["cluster"][0][1]) and acls["cluster"][0][0] is None


def test_another_prefix_is_not_granted_the_default_installation_s_topics() -> None:
    acls = _acls(generator().kafka_user("acme."))
    assert not _allowed(acls["topic"], "kestrel.executions", "Read")
    assert not _allowed(acls["transactionalId"], "kestrel-executor-x-1", "Write")


def test_a_topic_name_kubernetes_refuses_keeps_its_name_in_topic_name() -> None:
    topic = generator().kafka_topic(TOPICS.dead_letters, "Prod.", 6)
    assert topic["metadata"]["name"] == "prod.dead-letters"
    assert topic["spec"]["topicName"] == "Prod.dead-letters"
    assert topic["spec"]["partitions"] == 6


def test_check_mode_reports_a_stale_file_without_writing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = generator()
    stale = tmp_path / "topics.yaml"
    stale.write_text("# an old registry\n", encoding="utf-8")
    rendered_text = "generated\n"
    monkeypatch.setattr(module, "render", lambda: {stale: rendered_text})
    monkeypatch.setattr(module, "HERE", tmp_path / "deploy" / "kubernetes")
    assert module.main(["--check"]) == 1
    assert stale.read_text(encoding="utf-8") == "# an old registry\n"
    assert "stale" in capsys.readouterr().err
    assert module.main([]) == 0
    assert stale.read_text(encoding="utf-8") == rendered_text
    assert module.main(["--check"]) == 0
