"""JSON Schemas of task and trigger types, generated from their pydantic models.

The API serves them to the flow editor (autocompletion, validation as you type); the CLI
can print them. A type that cannot be imported or described is reported, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from orchestrator.errors import OrchestratorError
from orchestrator.tasks.registry import TypeRegistry


@dataclass(frozen=True)
class PluginType:
    """One registered type name and the class it resolves to."""

    name: str
    kind: str
    cls: type[BaseModel]

    @property
    def title(self) -> str:
        """The first line of the class's docstring."""
        return (self.cls.__doc__ or "").strip().split("\n", 1)[0]


def _registries() -> list[tuple[str, TypeRegistry[Any]]]:
    from orchestrator.models.triggers import TRIGGER_TYPES
    from orchestrator.tasks.base import TASK_TYPES

    return [("task", TASK_TYPES), ("trigger", TRIGGER_TYPES)]


def plugin_types() -> list[PluginType]:
    """Every task and trigger type name (aliases included) that resolves to a class."""
    found = []
    for kind, registry in _registries():
        for name in registry.names():
            try:
                cls = registry.resolve(name)
            except OrchestratorError:
                continue  # a plugin that does not import: `flow validate` names it
            found.append(PluginType(name, kind, cls))
    return found


def find_type(name: str) -> PluginType | None:
    """The type registered under ``name``, or None."""
    return next((each for each in plugin_types() if each.name == name), None)


def type_schema(plugin: PluginType) -> dict[str, Any]:
    """The JSON Schema of a type's properties (camelCase, as written in flows)."""
    schema = plugin.cls.model_json_schema(by_alias=True, mode="validation")
    properties = schema.get("properties", {})
    if "type" in properties:
        properties["type"] = {"const": plugin.name, "type": "string"}
    schema["title"] = plugin.name
    if plugin.title:
        schema["description"] = plugin.title
    return schema
