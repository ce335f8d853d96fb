"""Validate rendered Kubernetes manifests offline: core kinds and the operators' custom kinds.

    python deploy/kubernetes/validate.py rendered/production.yaml ...

Core kinds (Deployment, Service, HorizontalPodAutoscaler...) are checked by
``kubernetes-validate`` against the Kubernetes OpenAPI schemas of ``KUBERNETES_VERSION``, in
strict mode (an unknown field is an error). Custom kinds (Strimzi, ECK, Prometheus Operator)
are checked against the ``openAPIV3Schema`` of their CRD committed under ``schemas/``, with
the API server's rules: ``x-kubernetes-int-or-string``, ``x-kubernetes-preserve-unknown-fields``,
``nullable``, and unknown fields refused as ``kubectl apply --validate=strict`` does.
A custom kind without a committed schema is reported as such, never passed silently.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

SCHEMAS = Path(__file__).resolve().parent / "schemas"
KUBERNETES_VERSION = "1.31.0"
"""The oldest Kubernetes the manifests target."""
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml when PyYAML has it: the schema files load several times faster."""


@dataclass(frozen=True)
class Finding:
    """One problem of one manifest."""

    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.message}"


class MissingSchemaError(Exception):
    """A custom kind has no schema under ``schemas/``."""


def resource_name(document: dict[str, Any]) -> str:
    """``Kind/namespace/name`` of a manifest, for messages."""
    metadata = document.get("metadata") or {}
    where = "/".join(p for p in (metadata.get("namespace"), metadata.get("name")) if p)
    return f"{document.get('kind')}/{where}"


def load_documents(path: Path) -> list[dict[str, Any]]:
    """The non-empty YAML documents of ``path``."""
    with path.open(encoding="utf-8") as stream:
        return [each for each in yaml.load_all(stream, Loader=_LOADER) if each]


def _structural_to_json_schema(schema: Any) -> Any:
    """Turn a CRD structural schema into a JSON Schema with the API server's semantics."""
    if isinstance(schema, list):
        return [_structural_to_json_schema(each) for each in schema]
    if not isinstance(schema, dict):
        return schema
    result = {
        key: (
            {name: _structural_to_json_schema(sub) for name, sub in value.items()}
            if key == "properties"
            else _structural_to_json_schema(value)
        )
        for key, value in schema.items()
    }
    if result.pop("x-kubernetes-int-or-string", False) and "type" not in result:
        result["anyOf"] = [{"type": "integer"}, {"type": "string"}, *result.get("anyOf", [])]
    preserve = result.pop("x-kubernetes-preserve-unknown-fields", False)
    if result.pop("nullable", False) and "type" in result:
        result["type"] = [result["type"], "null"]
    if (
        result.get("type") == "object"
        and "properties" in result
        and "additionalProperties" not in result
        and not preserve
    ):
        result["additionalProperties"] = False
    return result


@cache
def _crd_schemas() -> dict[tuple[str, str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted(SCHEMAS.glob("*.yaml")):
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        key = (document["group"], document["version"], document["kind"])
        # Anchors in a schema file share objects: copy before converting.
        structural = copy.deepcopy(document["openAPIV3Schema"])
        schemas[key] = _structural_to_json_schema(structural)
    return schemas


def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    """The JSON Schema of a custom kind.

    Raises:
        MissingSchemaError: No schema is committed for it.
    """
    group, _, version = api_version.rpartition("/")
    try:
        return _crd_schemas()[(group, version, kind)]
    except KeyError:
        raise MissingSchemaError(f"no schema for {kind} {api_version} under {SCHEMAS}") from None


def is_core(document: dict[str, Any]) -> bool:
    """Whether ``kubernetes-validate`` has a schema for the manifest's kind and version."""
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return False
    except kubernetes_validate.ValidationError:
        return True
    return True


def validate_document(document: dict[str, Any]) -> list[Finding]:
    """The problems of one manifest (empty when valid).

    Raises:
        MissingSchemaError: A custom kind without a committed schema.
    """
    name = resource_name(document)
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [Finding(name, f"{exc.message} (Kubernetes {KUBERNETES_VERSION})")]
    except kubernetes_validate.SchemaNotFoundError:
        schema = crd_schema(document["apiVersion"], document["kind"])
        validator = jsonschema.Draft7Validator(schema)
        return [
            Finding(name, f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}")
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        ]
    return []


def validate_documents(
    documents: Iterable[dict[str, Any]],
) -> tuple[list[Finding], list[str]]:
    """Validate every manifest; return the findings and the manifests left unchecked."""
    findings: list[Finding] = []
    unchecked: list[str] = []
    for document in documents:
        try:
            findings += validate_document(document)
        except MissingSchemaError as exc:
            unchecked.append(f"{resource_name(document)}: {exc}")
    return findings, unchecked


def main(argv: list[str] | None = None) -> int:
    """Validate the files named on the command line; exit 1 on any finding."""
    paths = [Path(each) for each in (argv if argv is not None else sys.argv[1:])]
    status = 0
    for path in paths:
        findings, unchecked = validate_documents(load_documents(path))
        for finding in findings:
            print(f"{path}: {finding}")
        for each in unchecked:
            print(f"{path}: not validated: {each}")
        status |= bool(findings)
    return status


if __name__ == "__main__":
    sys.exit(main())
