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


@api.route(
    "GET", "/plugins/{cls}", summary="The JSON Schema of a task or trigger type", response=PluginDoc
)
async def plugin_doc(request: web.Request) -> web.Response:
    """A type's description and the JSON Schema of its properties."""
    name = request.match_info["cls"]
    found = await context_of(request).run(find_type, name)
    if found is None:
        raise not_found(f"no task or trigger type {name!r}")
    schema = type_schema(found)
    return web.json_response(
        {
            "cls": found.name,
            "kind": found.kind,
            "markdown": (found.cls.__doc__ or "").strip(),
            "schema": {
                "properties": schema,
                "definitions": schema.get("$defs", {}),
            },
        }
    )
