"""deploy/Dockerfile: lint-clean, multi-stage, non-root, one image with `kestrel` as entrypoint."""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_helpers import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    logical = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in logical.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_hadolint_finds_nothing() -> None:
    # Installed into the virtual environment by the test extra, which may not be on PATH.
    search = os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", "")))
    hadolint = shutil.which("hadolint", path=search)
    if hadolint is None:
        pytest.skip("hadolint is not installed (the test extra installs it on Linux x86-64)")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_builds_the_ui_and_the_wheel_then_runs_as_non_root_kestrel() -> None:
    instructions = _instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    assert len(stages) == 3
    assert stages[0].startswith("node:") and stages[0].endswith(" AS ui")
    assert " AS " not in stages[-1]
    assert any(name == "RUN" and "npm ci" in args for name, args in instructions)
    assert any(name == "RUN" and "npm run build" in args for name, args in instructions)
    assert any(name == "RUN" and "pip wheel" in args for name, args in instructions)
    final = instructions[[name for name, _ in instructions].index("FROM", 1) :]
    final = final[[i for i, (name, _) in enumerate(final) if name == "FROM"][-1] :]
    users = [args for name, args in final if name == "USER"]
    assert users and not users[-1].startswith(("root", "0"))
    assert json.loads(dict(final)["ENTRYPOINT"]) == ["kestrel"]
    env = " ".join(args for name, args in final if name == "ENV")
    assert "KESTREL_MANAGEMENT__HOST=0.0.0.0" in env


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        bare = pattern.removeprefix("!").removeprefix("**/")
        parts = path.split("/")
        candidates = {"/".join(parts[: i + 1]) for i in range(len(parts))}
        if pattern.removeprefix("!").startswith("**/"):
            candidates |= {
                "/".join(parts[i : j + 1]) for i in range(len(parts)) for j in range(i, len(parts))
            }
        if any(fnmatch.fnmatchcase(each, bare) for each in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_what_the_image_copies_and_drops_the_rest() -> None:
    ignore = DEPLOY / ".dockerignore"
    # BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile when the context is the root.
    assert (DEPLOY / "Dockerfile.dockerignore").resolve() == ignore.resolve()
    patterns = [
        line.strip()
        for line in ignore.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [
        args.split()[0]
        for name, args in _instructions()
        if name == "COPY" and not args.startswith("--")
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists() or source.startswith("ui/"), source
        assert not _ignored(source.rstrip("/"), patterns), source
    for dropped in (".venv", "ui/node_modules", ".git", "tests", "orchestrator/__pycache__"):
        assert _ignored(dropped, patterns), dropped
