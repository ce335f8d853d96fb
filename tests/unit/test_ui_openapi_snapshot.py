"""The UI's typed client is generated from ``ui/openapi.json``: every operation it was
generated from must still be served, or the UI calls a route that is gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).resolve().parents[2] / "ui" / "openapi.json"


def operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document.get("paths", {})
    assert isinstance(paths, dict)
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def test_every_operation_the_ui_was_generated_from_is_still_served() -> None:
    app = pytest.importorskip("orchestrator.webserver.app")
    openapi = pytest.importorskip("orchestrator.webserver.openapi")
    served = operations(openapi.openapi_document(app.REGISTRIES))
    snapshot = operations(json.loads(SNAPSHOT.read_text()))
    gone = sorted(snapshot - served)
    assert not gone, (
        f"routes in ui/openapi.json that the API no longer serves: {gone}; "
        "run `cd ui && npm run api` and fix what the compiler then reports"
    )


def test_the_state_names_the_ui_knows_are_the_api_s() -> None:
    app = pytest.importorskip("orchestrator.webserver.app")
    openapi = pytest.importorskip("orchestrator.webserver.openapi")
    served = openapi.openapi_document(app.REGISTRIES)["components"]["schemas"]["StateType"]
    snapshot = json.loads(SNAPSHOT.read_text())["components"]["schemas"]["StateType"]
    assert served["enum"] == snapshot["enum"], "run `cd ui && npm run api`"
