"""The OpenAPI 3.1 document, generated from the route registry and its pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter

from orchestrator.webserver.errors import ErrorBody
from orchestrator.webserver.routes import PREFIXES, Registry, Route

_PARAMETER = re.compile(r"{([^}/]+)}")
_REF = "#/components/schemas/{model}"


class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def of(self, kind: Any, mode: str = "serialization") -> dict[str, Any]:
        schema = TypeAdapter(kind).json_schema(
            mode=mode,  # type: ignore[arg-type]
            by_alias=True,
            ref_template=_REF,
        )
        self.components.update(schema.pop("$defs", {}))
        return schema


def _parameters(route: Route, schemas: _Schemas) -> list[dict[str, Any]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAMETER.findall(route.path)
    ]
    if route.query is not None:
        schema = schemas.of(route.query, "validation")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            entry: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": prop,
            }
            if prop.get("type") == "array":
                entry["style"] = "form"
                entry["explode"] = True
            parameters.append(entry)
    return parameters


def _operation_id(route: Route) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "_", route.path).strip("_")
    return f"{route.method.lower()}_{words}"


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": [route.tag],
        "summary": route.summary,
        "operationId": _operation_id(route),
        "parameters": _parameters(route, schemas),
    }
    if route.body is not None:
        if route.body.content_type == "multipart/form-data":
            body_schema: dict[str, Any] = {"type": "object", "additionalProperties": True}
            content = {
                "multipart/form-data": {"schema": body_schema},
                "application/json": {"schema": body_schema},
            }
        elif route.body.schema is str:
            content = {route.body.content_type: {"schema": {"type": "string"}}}
        else:
            content = {
                route.body.content_type: {"schema": schemas.of(route.body.schema, "validation")}
            }
        operation["requestBody"] = {"required": route.body.required, "content": content}
    success: dict[str, Any] = {"description": "Success"}
    if route.response is not None:
        success["content"] = {route.content_type: {"schema": schemas.of(route.response)}}
    elif route.content_type != "application/json" and route.status == 200:
        success["content"] = {route.content_type: {"schema": {"type": "string"}}}
    error = {
        "description": "Error",
        "content": {"application/json": {"schema": schemas.of(ErrorBody)}},
    }
    operation["responses"] = {str(route.status): success, "4XX": error, "5XX": error}
    return operation


def openapi_document(registries: list[Registry], version: str = "1") -> dict[str, Any]:
    """The whole document: every API route under ``/api/v1/main``, with the basic auth."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for registry in registries:
        for route in registry.routes:
            path = (PREFIXES[0] + route.path) if route.api else route.path
            paths.setdefault(path, {})[route.method.lower()] = _operation(route, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kestrel API", "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"basicAuth": []}, {"bearerAuth": []}],
    }
