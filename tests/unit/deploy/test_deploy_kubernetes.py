"""Every overlay, rendered, is valid against the Kubernetes and operator schemas and wired up."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from deploy_helpers import (
    KUBERNETES,
    OVERLAYS,
    kustomize_command,
    named,
    of_kind,
    rendered,
    rendered_path,
    validator,
)

from orchestrator.kafka.topics import TOPICS
from orchestrator.settings import KestrelSettings

STATEFUL = ("kestrel-executor", "kestrel-worker", "kestrel-scheduler")
WORKLOADS = (*STATEFUL, "kestrel-indexer", "kestrel-webserver")


def _workloads(documents: tuple[dict[str, Any], ...]) -> dict[str, dict[str, Any]]:
    return {
        each["metadata"]["name"]: each
        for each in documents
        if each["kind"] in ("StatefulSet", "Deployment")
    }


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {each["name"]: each for each in container.get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_overlay_is_current(overlay: str) -> None:
    command = kustomize_command()
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed: the committed rendering is used")
    fresh = subprocess.run(
        [*command, str(KUBERNETES / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert fresh == rendered_path(overlay).read_text(encoding="utf-8"), (
        f"deploy/kubernetes/rendered/{overlay}.yaml is stale: run make deploy-manifests"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_is_valid_against_its_schema(overlay: str) -> None:
    findings, unchecked = validator().validate_documents(rendered(overlay))
    assert [str(each) for each in findings] == []
    # Every custom kind has its CRD schema under deploy/kubernetes/schemas/.
    assert unchecked == []


def test_the_validator_refuses_unknown_fields_and_bad_values() -> None:
    documents = rendered("production")
    workload = named(documents, "StatefulSet", "kestrel-worker")
    typo = {**workload, "spec": {**workload["spec"], "replica": 3}}
    pool = named(documents, "KafkaNodePool", "brokers")
    bad_role = {**pool, "spec": {**pool["spec"], "roles": ["leader"]}}
    topic = of_kind(documents, "KafkaTopic")[0]
    no_partition = {**topic, "spec": {**topic["spec"], "partitions": 0}}
    monitor = named(documents, "ServiceMonitor", "kestrel")
    endpoint = {**monitor["spec"]["endpoints"][0], "interval": "15 seconds"}
    bad_interval = {**monitor, "spec": {**monitor["spec"], "endpoints": [endpoint]}}
    kafka = named(documents, "Kafka", "kestrel-kafka")
    kafka_typo = {
        **kafka,
        "spec": {**kafka["spec"], "kafka": {**kafka["spec"]["kafka"], "replica": 3}},
    }
    listener = {**kafka["spec"]["kafka"]["listeners"][0], "type": "internall"}
    bad_listener = {
        **kafka,
        "spec": {**kafka["spec"], "kafka": {**kafka["spec"]["kafka"], "listeners": [listener]}},
    }
    kibana = named(documents, "Kibana", "kestrel-kibana")
    kibana_typo = {**kibana, "spec": {**kibana["spec"], "replicas": 1}}
    kibana_count = {**kibana, "spec": {**kibana["spec"], "count": "one"}}
    elasticsearch = named(documents, "Elasticsearch", "kestrel-es")
    node_set = {**elasticsearch["spec"]["nodeSets"][0], "replicas": 3}
    es_typo = {**elasticsearch, "spec": {**elasticsearch["spec"], "nodeSets": [node_set]}}
    es_policy = {
        **elasticsearch,
        "spec": {**elasticsearch["spec"], "volumeClaimDeletePolicy": "Never"},
    }
    for broken in (
        typo,
        bad_role,
        no_partition,
        bad_interval,
        kafka_typo,
        bad_listener,
        kibana_typo,
        kibana_count,
        es_typo,
        es_policy,
    ):
        assert validator().validate_document(broken), broken["kind"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_stateful_services_take_their_pod_name_as_static_instance_id(overlay: str) -> None:
    workloads = _workloads(rendered(overlay))
    for name in STATEFUL:
        assert workloads[name]["kind"] == "StatefulSet"
        source = _env(_container(workloads[name]))["KESTREL_KAFKA__INSTANCE_ID"]["valueFrom"]
        assert source == {"fieldRef": {"fieldPath": "metadata.name"}}, name
    for name in ("kestrel-indexer", "kestrel-webserver"):
        assert workloads[name]["kind"] == "Deployment"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_and_metrics_are_on_the_management_port(overlay: str) -> None:
    documents = rendered(overlay)
    port = int(named(documents, "ConfigMap", "kestrel-config")["data"]["KESTREL_MANAGEMENT__PORT"])
    for name, workload in _workloads(documents).items():
        container = _container(workload)
        ports = {each["name"]: each["containerPort"] for each in container["ports"]}
        assert ports["management"] == port, name
        for probe, path in (
            ("livenessProbe", "/health/liveness"),
            ("readinessProbe", "/health/readiness"),
            ("startupProbe", "/health/liveness"),
        ):
            assert container[probe]["httpGet"] == {"path": path, "port": "management"}, name
        assert container["resources"]["requests"] and container["resources"]["limits"], name
    monitor = named(documents, "ServiceMonitor", "kestrel")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "management" and endpoint["path"] == "/metrics"
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped = [
        each
        for each in of_kind(documents, "Service")
        if selector.items() <= each["metadata"]["labels"].items()
    ]
    assert {each["metadata"]["name"] for each in scraped} == set(WORKLOADS)
    for service in scraped:
        assert "management" in {each["name"] for each in service["spec"]["ports"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_stopping_worker_has_time_to_hand_back_its_tasks(overlay: str) -> None:
    documents = rendered(overlay)
    config = named(documents, "ConfigMap", "kestrel-config")["data"]
    needed = float(config["KESTREL_RUNTIME__SHUTDOWN_GRACE"]) + float(
        config["KESTREL_RUNTIME__TASK_STOP_GRACE"]
    )
    worker = named(documents, "StatefulSet", "kestrel-worker")
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= needed + 10


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replicas_stay_within_the_partition_counts(overlay: str) -> None:
    documents = rendered(overlay)
    partitions = int(
        named(documents, "ConfigMap", "kestrel-config")["data"]["KESTREL_KAFKA__PARTITIONS"]
    )
    hpa = named(documents, "HorizontalPodAutoscaler", "kestrel-worker")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "kestrel-worker"
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert hpa["spec"]["maxReplicas"] <= TOPICS.worker_tasks.partitions_for(partitions)
    assert "replicas" not in named(documents, "StatefulSet", "kestrel-worker")["spec"]
    executors = named(documents, "StatefulSet", "kestrel-executor")["spec"]["replicas"]
    assert 1 <= executors <= TOPICS.executions.partitions_for(partitions)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_has_a_disruption_budget(overlay: str) -> None:
    documents = rendered(overlay)
    workloads = _workloads(documents)
    covered = set()
    for budget in of_kind(documents, "PodDisruptionBudget"):
        selector = budget["spec"]["selector"]["matchLabels"]
        matching = [
            name
            for name, workload in workloads.items()
            if selector.items() <= workload["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matching) == 1, budget["metadata"]["name"]
        covered.update(matching)
    assert covered == set(WORKLOADS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kestrel_reaches_the_kafka_and_elasticsearch_of_the_operators(overlay: str) -> None:
    documents = rendered(overlay)
    config = named(documents, "ConfigMap", "kestrel-config")["data"]
    (kafka,) = of_kind(documents, "Kafka")
    cluster = kafka["metadata"]["name"]
    host, port = config["KESTREL_KAFKA__BOOTSTRAP"].split(":")
    assert host == f"{cluster}-kafka-bootstrap"
    (listener,) = [
        each for each in kafka["spec"]["kafka"]["listeners"] if each["port"] == int(port)
    ]
    protocol = config["KESTREL_KAFKA__SECURITY_PROTOCOL"]
    assert protocol == ("SASL_SSL" if listener["tls"] else "SASL_PLAINTEXT")
    assert listener["authentication"]["type"] == "scram-sha-512"
    assert config["KESTREL_KAFKA__SASL_MECHANISM"] == "SCRAM-SHA-512"
    (user,) = of_kind(documents, "KafkaUser")
    assert config["KESTREL_KAFKA__SASL_USERNAME"] == user["metadata"]["name"]
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == cluster
    (elasticsearch,) = of_kind(documents, "Elasticsearch")
    es_name = elasticsearch["metadata"]["name"]
    assert config["KESTREL_ELASTICSEARCH__URL"].startswith(f"http://{es_name}-es-http:9200")
    for node_set in elasticsearch["spec"]["nodeSets"]:
        # Overlays replace nodeSets whole: each must keep the setting that spares the sysctl.
        assert node_set["config"]["node.store.allow_mmap"] is False, node_set["name"]
        # The ECK API types (deploy/kubernetes/crosscheck) require a claim template's kind.
        for claim in node_set["volumeClaimTemplates"]:
            assert (claim["apiVersion"], claim["kind"]) == ("v1", "PersistentVolumeClaim")
    (kibana,) = of_kind(documents, "Kibana")
    assert kibana["spec"]["elasticsearchRef"]["name"] == es_name
    assert kibana["spec"]["version"] == elasticsearch["spec"]["version"]
    # The Secrets the operators write (KafkaUser, cluster CA, elastic user) and ours.
    expected = {user["metadata"]["name"], f"{es_name}-es-elastic-user"}
    generated = {each["metadata"]["name"] for each in of_kind(documents, "Secret")}
    for name, workload in _workloads(documents).items():
        env = _env(_container(workload))
        refs = {
            each["valueFrom"]["secretKeyRef"]["name"]
            for each in env.values()
            if "secretKeyRef" in each.get("valueFrom", {})
        }
        assert expected <= refs, name
        own = refs - expected
        # kestrel-secrets: generated by the dev overlay, created by hand in production.
        assert all(ref.startswith("kestrel-secrets") for ref in own), name
        if overlay == "dev":
            assert own <= generated, name
        volumes = workload["spec"]["template"]["spec"]["volumes"]
        ca = [each["secret"]["secretName"] for each in volumes if "secret" in each]
        assert ca == [f"{cluster}-cluster-ca-cert"], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_replication_fits_the_brokers(overlay: str) -> None:
    documents = rendered(overlay)
    (kafka,) = of_kind(documents, "Kafka")
    pools = [
        each
        for each in of_kind(documents, "KafkaNodePool")
        if each["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    ]
    brokers = sum(each["spec"]["replicas"] for each in pools if "broker" in each["spec"]["roles"])
    controllers = [each for each in pools if "controller" in each["spec"]["roles"]]
    assert brokers >= 1 and controllers
    settings = kafka["spec"]["kafka"]["config"]
    for key in (
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
    ):
        assert settings[key] <= brokers, key
    assert settings["min.insync.replicas"] <= settings["default.replication.factor"]
    config = named(documents, "ConfigMap", "kestrel-config")["data"]
    assert int(config["KESTREL_KAFKA__REPLICATION_FACTOR"]) <= brokers
    for topic in of_kind(documents, "KafkaTopic"):
        assert topic["spec"]["replicas"] <= brokers, topic["metadata"]["name"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]


PENDING_SECTIONS = {"management", "webserver", "log"}
"""Settings other work lands this session (management server, webserver, --log-format):
their variables are checked once the section exists in orchestrator/settings.py."""


def _section(key: str) -> str:
    return key.removeprefix("KESTREL_").lower().split("_")[0]


def _resolves(key: str) -> bool:
    path = key.removeprefix("KESTREL_").lower().split("__")
    model: Any = KestrelSettings
    for part in path:
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return False
        model = fields[part].annotation
    return True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_variable_names_a_real_setting(overlay: str) -> None:
    documents = rendered(overlay)
    keys = set(named(documents, "ConfigMap", "kestrel-config")["data"])
    for workload in _workloads(documents).values():
        keys |= set(_env(_container(workload)))
    unknown = [key for key in sorted(keys) if not _resolves(key)]
    # A pending section's variables are let through only while the section does not exist.
    assert [
        key
        for key in unknown
        if _section(key) not in PENDING_SECTIONS or _section(key) in KestrelSettings.model_fields
    ] == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_settings_of_the_config_map_load(overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = named(rendered(overlay), "ConfigMap", "kestrel-config")["data"]
    for key, value in data.items():
        if _resolves(key):
            monkeypatch.setenv(key, value)
    settings = KestrelSettings()
    assert settings.kafka.security_protocol == "SASL_SSL"
    assert settings.kafka.extra["ssl.ca.location"].endswith("/ca.crt")
    assert str(settings.storage.base_dir) == "/var/lib/kestrel/storage"


@pytest.mark.parametrize(("overlay", "expected"), [("dev", "kestrel:dev"), ("production", None)])
def test_every_kestrel_container_runs_the_overlay_s_image(
    overlay: str, expected: str | None
) -> None:
    images = {_container(each)["image"] for each in _workloads(rendered(overlay)).values()}
    (image,) = images
    if expected is not None:
        assert image == expected
    else:
        name, _, tag = image.rpartition(":")
        assert "/" in name and tag not in ("", "latest"), image
