"""Write ``kestrel-saved-objects.ndjson``: Kestrel's data views and dashboard for Kibana 8.x/9.x.

The file in this directory is generated for the default index prefix ``kestrel-``; for
another prefix:

    python deploy/kibana/generate_saved_objects.py --prefix acme-kestrel- > objects.ndjson

Lens visualisations are saved objects of their own, placed on the dashboard by reference, in
the format Kibana 8.9+ exports (``formBased`` data source, ``panel_N`` references).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

CORE_MIGRATION = "8.8.0"
PANEL_VERSION = "8.9.0"


def data_view(object_id: str, title: str, name: str) -> dict[str, Any]:
    """A data view (saved object type ``index-pattern``) with ``@timestamp`` as time field."""
    return {
        "id": object_id,
        "type": "index-pattern",
        "coreMigrationVersion": CORE_MIGRATION,
        "typeMigrationVersion": "8.0.0",
        "managed": False,
        "references": [],
        "attributes": {
            "title": title,
            "name": name,
            "timeFieldName": "@timestamp",
            "fields": "[]",
            "fieldAttrs": "{}",
            "fieldFormatMap": json.dumps(
                {"durationMs": {"id": "duration", "params": {"inputFormat": "milliseconds"}}}
            ),
            "runtimeFieldMap": "{}",
            "typeMeta": "{}",
            "allowNoIndex": True,
        },
    }


def _count(label: str) -> dict[str, Any]:
    return {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": "count",
        "sourceField": "___records___",
        "isBucketed": False,
        "scale": "ratio",
        "params": {"emptyAsNull": True},
    }


def _terms(label: str, field: str, size: int, order_by: str) -> dict[str, Any]:
    return {
        "label": label,
        "customLabel": True,
        "dataType": "string",
        "operationType": "terms",
        "sourceField": field,
        "isBucketed": True,
        "scale": "ordinal",
        "params": {
            "size": size,
            "orderBy": {"type": "column", "columnId": order_by},
            "orderDirection": "desc",
            "otherBucket": True,
            "missingBucket": False,
            "parentFormat": {"id": "terms"},
        },
    }


def _histogram() -> dict[str, Any]:
    return {
        "label": "@timestamp",
        "dataType": "date",
        "operationType": "date_histogram",
        "sourceField": "@timestamp",
        "isBucketed": True,
        "scale": "interval",
        "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False},
    }


def _metric(label: str, operation: str, field: str, **params: Any) -> dict[str, Any]:
    return {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": operation,
        "sourceField": field,
        "isBucketed": False,
        "scale": "ratio",
        "params": {"emptyAsNull": True, **params},
    }


def lens(
    object_id: str,
    title: str,
    view_id: str,
    columns: dict[str, dict[str, Any]],
    layer: dict[str, Any],
    query: str = "",
) -> dict[str, Any]:
    """An XY Lens visualisation with one layer over data view ``view_id``."""
    layer_id = f"{object_id}-layer"
    return {
        "id": object_id,
        "type": "lens",
        "coreMigrationVersion": CORE_MIGRATION,
        "typeMigrationVersion": "8.6.0",  # the first version with the `formBased` layout
        "references": [
            {
                "type": "index-pattern",
                "id": view_id,
                "name": f"indexpattern-datasource-layer-{layer_id}",
            }
        ],
        "attributes": {
            "title": title,
            "description": "",
            "visualizationType": "lnsXY",
            "state": {
                "datasourceStates": {
                    "formBased": {
                        "layers": {
                            layer_id: {
                                "columns": columns,
                                "columnOrder": list(columns),
                                "incompleteColumns": {},
                            }
                        }
                    }
                },
                "visualization": {
                    "legend": {"isVisible": True, "position": "right"},
                    "valueLabels": "hide",
                    "fittingFunction": "None",
                    "preferredSeriesType": layer["seriesType"],
                    "layers": [{"layerId": layer_id, "layerType": "data", **layer}],
                },
                "query": {"language": "kuery", "query": query},
                "filters": [],
                "internalReferences": [],
                "adHocDataViews": {},
            },
        },
    }


def dashboard(
    object_id: str, title: str, panels: list[tuple[str, dict[str, int]]]
) -> dict[str, Any]:
    """A dashboard showing the Lens objects ``panels`` (id, grid position) by reference."""
    panels_json = []
    references = []
    for index, (lens_id, grid) in enumerate(panels, start=1):
        key = str(index)
        panels_json.append(
            {
                "version": PANEL_VERSION,
                "type": "lens",
                "gridData": {**grid, "i": key},
                "panelIndex": key,
                "embeddableConfig": {"enhancements": {}},
                "panelRefName": f"panel_{key}",
            }
        )
        references.append({"name": f"{key}:panel_{key}", "type": "lens", "id": lens_id})
    return {
        "id": object_id,
        "type": "dashboard",
        "coreMigrationVersion": CORE_MIGRATION,
        "typeMigrationVersion": "8.7.0",
        "references": references,
        "attributes": {
            "title": title,
            "description": "Executions over time by state, failures by flow, durations.",
            "panelsJSON": json.dumps(panels_json),
            "optionsJSON": json.dumps(
                {"useMargins": True, "syncColors": False, "hidePanelTitles": False}
            ),
            "timeRestore": True,
            "timeFrom": "now-7d",
            "timeTo": "now",
            "refreshInterval": {"pause": False, "value": 60000},
            "version": 1,
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": json.dumps(
                    {"query": {"query": "", "language": "kuery"}, "filter": []}
                )
            },
        },
    }


def saved_objects(prefix: str) -> list[dict[str, Any]]:
    """Every saved object, data views first (import order does not matter to Kibana)."""
    executions, taskruns, logs = "kestrel-executions", "kestrel-taskruns", "kestrel-logs"
    objects = [
        data_view(executions, f"{prefix}executions", "Kestrel executions"),
        data_view(taskruns, f"{prefix}taskruns", "Kestrel task runs"),
        data_view(logs, f"{prefix}logs-*", "Kestrel logs"),
        lens(
            "kestrel-executions-by-state",
            "Executions over time by state",
            executions,
            {
                "time": _histogram(),
                "executions": _count("Executions"),
                "state": _terms("State", "state.current", 12, "executions"),
            },
            {
                "seriesType": "bar_stacked",
                "xAccessor": "time",
                "splitAccessor": "state",
                "accessors": ["executions"],
            },
        ),
        lens(
            "kestrel-failures-by-flow",
            "Failures by flow",
            executions,
            {
                "failures": _count("Failed or killed executions"),
                "flow": _terms("Flow (namespace/id)", "flowKey", 10, "failures"),
            },
            {"seriesType": "bar_horizontal", "xAccessor": "flow", "accessors": ["failures"]},
            query='state.current : "FAILED" or state.current : "KILLED"',
        ),
        lens(
            "kestrel-durations-by-flow",
            "Execution durations by flow (ms)",
            executions,
            {
                "p95": _metric("95th percentile", "percentile", "durationMs", percentile=95),
                "median": _metric("Median", "median", "durationMs"),
                "flow": _terms("Flow (namespace/id)", "flowKey", 10, "p95"),
            },
            {"seriesType": "bar", "xAccessor": "flow", "accessors": ["median", "p95"]},
            query="durationMs >= 0",
        ),
    ]
    objects.append(
        dashboard(
            "kestrel-overview",
            "Kestrel: executions",
            [
                ("kestrel-executions-by-state", {"x": 0, "y": 0, "w": 48, "h": 15}),
                ("kestrel-failures-by-flow", {"x": 0, "y": 15, "w": 24, "h": 15}),
                ("kestrel-durations-by-flow", {"x": 24, "y": 15, "w": 24, "h": 15}),
            ],
        )
    )
    return objects


def main() -> None:
    """Print the NDJSON for ``--prefix`` on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--prefix", default="kestrel-", help="elasticsearch.index_prefix")
    args = parser.parse_args()
    for item in saved_objects(args.prefix):
        sys.stdout.write(json.dumps(item, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
