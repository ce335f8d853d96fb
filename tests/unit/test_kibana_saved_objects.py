from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from orchestrator.repository import IndexKind, IndexNames
from orchestrator.repository.mappings import PROPERTIES

KIBANA = Path(__file__).resolve().parents[2] / "deploy" / "kibana"
NDJSON = KIBANA / "kestrel-saved-objects.ndjson"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "kibana_objects", KIBANA / "generate_saved_objects.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines()]


def mapped(kind: IndexKind, field: str) -> bool:
    properties: dict[str, Any] = PROPERTIES[kind]
    *parents, leaf = field.split(".")
    for parent in parents:
        properties = properties.get(parent, {}).get("properties", {})
    return leaf in properties and properties[leaf].get("enabled", True)


def test_the_file_is_what_the_generator_writes_for_the_default_prefix() -> None:
    written = [json.loads(json.dumps(item)) for item in generator().saved_objects("kestrel-")]
    assert objects() == written


def test_every_reference_resolves_and_every_panel_has_its_reference() -> None:
    items = objects()
    by_id = {(item["type"], item["id"]): item for item in items}
    assert len(by_id) == len(items)
    assert {item["type"] for item in items} == {"index-pattern", "lens", "dashboard"}
    for item in items:
        for reference in item["references"]:
            assert (reference["type"], reference["id"]) in by_id, reference
    (board,) = [item for item in items if item["type"] == "dashboard"]
    panels = json.loads(board["attributes"]["panelsJSON"])
    names = {reference["name"] for reference in board["references"]}
    assert len(panels) == 3
    for panel in panels:
        assert f"{panel['panelIndex']}:{panel['panelRefName']}" in names
    json.loads(board["attributes"]["optionsJSON"])
    json.loads(board["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])


def test_data_views_name_the_indices_and_lens_fields_are_mapped() -> None:
    names = IndexNames("kestrel-")
    kinds = {
        names.search_target(kind): kind
        for kind in (IndexKind.EXECUTIONS, IndexKind.TASKRUNS, IndexKind.LOGS)
    }
    views = {
        item["id"]: kinds[item["attributes"]["title"]]
        for item in objects()
        if item["type"] == "index-pattern"
    }
    assert sorted(views.values()) == sorted(kinds.values())
    for item in objects():
        if item["type"] != "lens":
            continue
        layers = item["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
        references = {ref["name"]: ref["id"] for ref in item["references"]}
        for layer_id, layer in layers.items():
            kind = views[references[f"indexpattern-datasource-layer-{layer_id}"]]
            assert layer["columnOrder"] == list(layer["columns"])
            for column in layer["columns"].values():
                field = column["sourceField"]
                assert field == "___records___" or mapped(kind, field), (item["id"], field)


def test_another_prefix_renames_the_data_views() -> None:
    titles = [
        item["attributes"]["title"]
        for item in generator().saved_objects("acme-")
        if item["type"] == "index-pattern"
    ]
    assert titles == ["acme-executions", "acme-taskruns", "acme-logs-*"]
