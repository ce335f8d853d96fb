"""``/plugins``: the task and trigger types, and each one's JSON Schema."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from orchestrator.tasks.schemas import find_type, plugin_types, type_schema
from orchestrator.webserver.context import context_of
from orchestrator.webserver.errors import not_found
from orchestrator.webserver.models import ApiModel
from orchestrator.webserver.routes import Registry

api = Registry("Plugins")


class PluginGroup(ApiModel):
    """The types one plugin package offers (Kestra's ``Plugin``)."""

    name: str
    title: str
    tasks: list[str]
    triggers: list[str]


class PluginDoc(ApiModel):
    """One type: its name, kind, and the JSON Schema of its properties."""

    cls: str
    kind: str
    markdown: str
    schema_: dict[str, Any] = Field(alias="schema")


@api.route("GET", "/plugins", summary="Every task and trigger type", response=list[PluginGroup])
async def list_plugins(request: web.Request) -> web.Response:
    """Types grouped by the Python package that provides them."""
    types = await context_of(request).run(plugin_types)
    groups: dict[str, dict[str, Any]] = {}
    for each in types:
        package = each.cls.__module__.split(".")[0]
        group = groups.setdefault(
            package, {"name": package, "title": package, "tasks": [], "triggers": []}
        )
        group["tasks" if each.kind == "task" else "triggers"].append(each.name)
    return web.json_response(list(groups.values()))


class PluginSchema(ApiModel):
    """One type's JSON Schema, as the flow editor's completion reads it."""

    cls: str
    kind: str
    schema_: dict[str, Any] = Field(alias="schema")


def _schema_of(found: Any) -> dict[str, Any]:
    schema = type_schema(found)
    return {"properties": schema, "definitions": schema.get("$defs", {})}


_SCHEMAS: tuple[int, list[dict[str, Any]]] = (0, [])


def _every_schema() -> list[dict[str, Any]]:
    # Built again only when types were added (runners load theirs on first use): 0.7 s.
    global _SCHEMAS
    types = plugin_types()
    if _SCHEMAS[0] != len(types):
        built = [
            {"cls": each.name, "kind": each.kind, "schema": _schema_of(each)} for each in types
        ]
        _SCHEMAS = (len(types), built)
    return _SCHEMAS[1]


@api.route(
    "GET",
    "/plugins/schemas/all",
    summary="Every task and trigger type's JSON Schema, in one answer (the editor's completion)",
    response=list[PluginSchema],
)
async def plugin_schemas(request: web.Request) -> web.Response:
    """Every type's JSON Schema.

    One request instead of one per type: the editor asking for each of 230 types held the
    browser's six connections to the host, and the next page's requests waited behind them
    (10 s for an execution page opened right after a run from the editor).
    """
    return web.json_response(await context_of(request).run(_every_schema))


@api.route(
    "GET", "/plugins/{cls}", summary="The JSON Schema of a task or trigger type", response=PluginDoc
)
async def plugin_doc(request: web.Request) -> web.Response:
    """A type's description and the JSON Schema of its properties."""
    name = request.match_info["cls"]
    found = await context_of(request).run(find_type, name)
    if found is None:
        raise not_found(f"no task or trigger type {name!r}")
    return web.json_response(
        {
            "cls": found.name,
            "kind": found.kind,
            "markdown": (found.cls.__doc__ or "").strip(),
            "schema": _schema_of(found),
        }
    )
