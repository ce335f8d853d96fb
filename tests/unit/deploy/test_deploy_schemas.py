"""The CRD schema extraction and the structural-schema rules of the validator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from deploy_helpers import KUBERNETES, load_script, validator

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "spec": {
        "group": "example.io",
        "names": {"kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "description": "A widget.",
                        "properties": {
                            "description": {"type": "string", "description": "Kept: a field."},
                            "size": {"x-kubernetes-int-or-string": True},
                            "extra": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            },
                        },
                    }
                },
            },
            {"name": "v0", "served": False, "schema": {"openAPIV3Schema": {"type": "object"}}},
        ],
    },
}


def test_extract_keeps_constraints_and_drops_descriptions(tmp_path: Path) -> None:
    extract = load_script(KUBERNETES / "schemas" / "extract.py")
    files = extract.extract(CRD, "example/widgets crd.yaml@abc")
    ((path, text),) = files.items()
    assert path.name == "widget.example.io.v1.yaml"
    assert text.startswith("# source: example/widgets crd.yaml@abc\n")
    schema = yaml.safe_load(text)["openAPIV3Schema"]
    assert "description" not in schema
    assert schema["properties"]["description"] == {"type": "string"}
    assert schema["properties"]["size"] == {"x-kubernetes-int-or-string": True}


def test_structural_rules_are_the_api_server_s() -> None:
    convert = validator()._structural_to_json_schema
    schema = convert(CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"])  # type: ignore[index]
    assert schema["additionalProperties"] is False
    assert {"type": "integer"} in schema["properties"]["size"]["anyOf"]
    assert "additionalProperties" not in schema["properties"]["extra"]


def test_every_committed_schema_names_its_source() -> None:
    for path in sorted((KUBERNETES / "schemas").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# source: "), path.name
        document = yaml.load(text, Loader=validator()._LOADER)
        assert (
            path.name
            == f"{document['kind'].lower()}.{document['group']}.{document['version']}.yaml"
        )


def test_the_strimzi_schemas_share_their_templates() -> None:
    # Kafka and KafkaNodePool were copied from separate files: the pod, container, storage and
    # resource subtrees Strimzi generates from the same classes must have come out the same.
    def spec(kind: str) -> dict[str, Any]:
        path = KUBERNETES / "schemas" / f"{kind}.kafka.strimzi.io.v1beta2.yaml"
        text = path.read_text(encoding="utf-8")
        schema = yaml.load(text, Loader=validator()._LOADER)["openAPIV3Schema"]
        return schema["properties"]["spec"]["properties"]  # type: ignore[no-any-return]

    kafka, pool = spec("kafka")["kafka"]["properties"], spec("kafkanodepool")
    for name in ("storage", "resources", "jvmOptions"):
        assert kafka[name] == pool[name], name
    templates = pool["template"]["properties"]
    assert templates.keys() <= kafka["template"]["properties"].keys()
    for name, template in templates.items():
        assert kafka["template"]["properties"][name] == template, name


def test_the_eck_schemas_share_their_common_types() -> None:
    # Elasticsearch and Kibana were copied from separate files: the subtrees ECK generates from
    # the same Go types must have come out the same.
    def spec(name: str) -> dict[str, Any]:
        path = KUBERNETES / "schemas" / name
        text = path.read_text(encoding="utf-8")
        schema = yaml.load(text, Loader=validator()._LOADER)["openAPIV3Schema"]
        return schema["properties"]["spec"]["properties"]  # type: ignore[no-any-return]

    elasticsearch = spec("elasticsearch.elasticsearch.k8s.elastic.co.v1.yaml")
    kibana = spec("kibana.kibana.k8s.elastic.co.v1.yaml")
    for name in ("http", "monitoring", "secureSettings", "serviceAccountName", "version"):
        assert elasticsearch[name] == kibana[name], name
    assert (
        elasticsearch["transport"]["properties"]["service"]
        == kibana["http"]["properties"]["service"]
    )
