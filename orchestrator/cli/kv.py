"""``kestrel kv list|get|set|delete``: Kestra's KV store from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.options import config_option
from orchestrator.kv import KvEntry, KvStore, KvType
from orchestrator.models.duration import parse_duration
from orchestrator.models.state import utcnow
from orchestrator.settings import load_settings


def _store(config: Path | None) -> KvStore:
    from orchestrator.kv.kafka import KafkaKvStore

    return KafkaKvStore(load_settings(config))


def _entry_json(entry: KvEntry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "value": entry.value,
        "type": entry.kv_type.value,
        "expires": entry.expires.isoformat() if entry.expires else None,
        "updated": entry.updated.isoformat(),
        "description": entry.description,
    }


@click.group("kv")
def kv_group() -> None:
    """Read and write KV pairs (the compacted `kv` topic)."""


@kv_group.command("list")
@click.argument("namespace")
@click.option("--prefix", default="", help="Only keys starting with this.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@config_option
def list_command(namespace: str, prefix: str, as_json: bool, config: Path | None) -> None:
    """List the live pairs of NAMESPACE."""
    store = _store(config)
    try:
        for entry in store.list(namespace, prefix):
            if as_json:
                click.echo(json.dumps(_entry_json(entry)))
            else:
                expires = f"  (expires {entry.expires.isoformat()})" if entry.expires else ""
                click.echo(
                    f"{entry.key}\t{entry.kv_type.value}\t{json.dumps(entry.value)}{expires}"
                )
    finally:
        store.close()


@kv_group.command("get")
@click.argument("namespace")
@click.argument("key")
@config_option
def get_command(namespace: str, key: str, config: Path | None) -> None:
    """Print the value of KEY in NAMESPACE as JSON (exit 1 when there is none)."""
    store = _store(config)
    try:
        entry = store.get(namespace, key)
    finally:
        store.close()
    if entry is None:
        raise click.ClickException(f"no value for key '{key}' in namespace '{namespace}'")
    click.echo(json.dumps(entry.value))


@kv_group.command("set")
@click.argument("namespace")
@click.argument("key")
@click.argument("value")
@click.option(
    "--type",
    "kv_type",
    type=click.Choice([each.value for each in KvType]),
    help="The value's type (default: JSON when VALUE parses as JSON, else STRING).",
)
@click.option("--ttl", help="How long the pair lives (ISO 8601: PT1H, P7D).")
@click.option("--description", help="A description kept with the pair.")
@config_option
def set_command(
    namespace: str,
    key: str,
    value: str,
    kv_type: str | None,
    ttl: str | None,
    description: str | None,
    config: Path | None,
) -> None:
    """Set KEY in NAMESPACE to VALUE."""
    typed: Any = value
    kind = KvType(kv_type) if kv_type else None
    if kind in (None, KvType.JSON, KvType.NUMBER, KvType.BOOLEAN):
        try:
            typed = json.loads(value)
            kind = kind or (KvType.STRING if isinstance(typed, str) else KvType.JSON)
        except json.JSONDecodeError:
            if kind is not None and kind is not KvType.STRING:
                raise click.BadParameter(f"{value!r} is not {kind.value}") from None
            kind = KvType.STRING
    try:
        lifetime = parse_duration(ttl) if ttl else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--ttl") from None
    now = utcnow()
    entry = KvEntry(
        namespace=namespace,
        key=key,
        value=typed,
        kv_type=kind or KvType.STRING,
        description=description,
        expires=now + lifetime if lifetime else None,
        updated=now,
    )
    store = _store(config)
    try:
        store.put(entry)
    finally:
        store.close()
    click.echo(f"set {namespace}/{key}")


@kv_group.command("delete")
@click.argument("namespace")
@click.argument("key")
@config_option
def delete_command(namespace: str, key: str, config: Path | None) -> None:
    """Delete KEY from NAMESPACE."""
    store = _store(config)
    try:
        deleted = store.delete(namespace, key)
    finally:
        store.close()
    click.echo(f"deleted {namespace}/{key}" if deleted else f"no key {namespace}/{key}")


__all__ = ["kv_group"]
