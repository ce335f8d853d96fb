"""``kestrel namespace files upload|list|delete``: a namespace's files in the internal storage.

Tasks with ``namespaceFiles`` (script tasks, WorkingDirectory) get copies of them.
"""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.options import config_option
from orchestrator.namespace_files import NamespaceFilesError, file_path, list_files, put_file
from orchestrator.settings import load_settings
from orchestrator.storage import LocalStorage, Storage


def _storage(config: Path | None) -> Storage:
    return LocalStorage.from_settings(load_settings(config).storage)


@click.group("namespace")
def namespace_group() -> None:
    """Manage namespaces."""


@namespace_group.group("files")
def files_group() -> None:
    """A namespace's files (copied into tasks that set namespaceFiles)."""


@files_group.command("upload")
@click.argument("namespace")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--to", "target", default="", help="Folder of the namespace files to put them in.")
@config_option
def upload_command(namespace: str, source: Path, target: str, config: Path | None) -> None:
    """Upload SOURCE (a file, or a folder and everything under it) to NAMESPACE's files."""
    storage = _storage(config)
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    base = source.parent if source.is_file() else source
    prefix = target.strip("/")
    for file in files:
        relative = file.relative_to(base).as_posix()
        name = f"{prefix}/{relative}" if prefix else relative
        try:
            put_file(storage, namespace, name, file.read_bytes())
        except (NamespaceFilesError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(name)


@files_group.command("list")
@click.argument("namespace")
@config_option
def list_command(namespace: str, config: Path | None) -> None:
    """List NAMESPACE's files."""
    for name in list_files(_storage(config), namespace):
        click.echo(name)


@files_group.command("delete")
@click.argument("namespace")
@click.argument("path")
@config_option
def delete_command(namespace: str, path: str, config: Path | None) -> None:
    """Delete the namespace file PATH of NAMESPACE."""
    try:
        deleted = _storage(config).delete(file_path(namespace, path))
    except NamespaceFilesError as exc:
        raise click.ClickException(str(exc)) from exc
    if not deleted:
        raise click.ClickException(f"namespace {namespace} has no file '{path}'")


__all__ = ["namespace_group"]
