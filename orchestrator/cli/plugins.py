"""``kestrel plugins list|doc``: the task and trigger types this installation knows."""

from __future__ import annotations

import inspect
import json
from typing import Any

import click

from orchestrator.models.triggers import TRIGGER_TYPES
from orchestrator.tasks.base import TASK_TYPES
from orchestrator.tasks.registry import PluginLoadError, TypeRegistry, UnknownTypeError


def _classes(registry: TypeRegistry[Any]) -> dict[type[Any], list[str]]:
    """Each loadable class with every name it is registered under."""
    found: dict[type[Any], list[str]] = {}
    for name in registry.names():
        try:
            found.setdefault(registry.resolve(name), []).append(name)
        except PluginLoadError:
            continue  # a broken third-party plugin: `doc` on its name says why
    return found


def _preference(name: str) -> tuple[int, str]:
    """Kestra's current names first, then its older ones, then Kestrel's own."""
    if name.startswith("io.kestra.plugin."):
        return 0, name
    return (1 if name.startswith("io.kestra.") else 2), name


@click.group("plugins")
def plugins_group() -> None:
    """List the task and trigger types, and show how to use one."""


@plugins_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def list_command(as_json: bool) -> None:
    """Print every task and trigger type: its Kestra name first, then its other names."""
    for kind, registry in (("task", TASK_TYPES), ("trigger", TRIGGER_TYPES)):
        for cls, names in sorted(_classes(registry).items(), key=lambda item: item[0].__name__):
            ordered = sorted(names, key=_preference)
            summary = (inspect.getdoc(cls) or "").splitlines()[0] if cls.__doc__ else ""
            if as_json:
                click.echo(json.dumps({"kind": kind, "names": ordered, "summary": summary}))
            else:
                click.echo(f"{kind:8} {ordered[0]}  {summary}")


@plugins_group.command("doc")
@click.argument("type_name")
@click.option("--schema", is_flag=True, help="Print the JSON Schema of the type's properties.")
def doc_command(type_name: str, schema: bool) -> None:
    """Print the documentation of TYPE_NAME (a task or trigger type)."""
    cls: type[Any]
    try:
        cls = TASK_TYPES.resolve(type_name)
    except UnknownTypeError as not_a_task:
        try:
            cls = TRIGGER_TYPES.resolve(type_name)
        except UnknownTypeError as not_a_trigger:
            close = [*not_a_task.suggestions, *not_a_trigger.suggestions]
            hint = f"; did you mean '{close[0]}'?" if close else ""
            message = f"unknown task or trigger type '{type_name}'{hint}"
            raise click.ClickException(message) from None
    if schema:
        click.echo(json.dumps(cls.model_json_schema(by_alias=True), indent=2))
        return
    click.echo(type_name)
    click.echo(inspect.getdoc(cls) or "")
    click.echo("\nProperties:")
    for name, field in cls.model_fields.items():
        if name == "type":
            continue
        alias = field.alias or name
        required = " (required)" if field.is_required() else ""
        description = field.description or ""
        click.echo(f"  {alias}{required}  {description}".rstrip())


__all__ = ["plugins_group"]
