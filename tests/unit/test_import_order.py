"""Every module can be the first one a process imports (no import cycle bites anyone).

One fresh interpreter per module would cost about a second each (pydantic, elasticsearch,
aiohttp...), far too slow for 140 modules on a shared machine. So one interpreter imports
the third-party libraries the project uses, and forks one child per project module: each
child starts with no project module loaded, which is all an import cycle between project
modules depends on, and imports only its module.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("orchestrator", "executor", "worker", "indexer", "plugins")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def project_modules() -> list[str]:
    """Every module of the project's packages, by dotted name."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


# Runs in its own interpreter: preloads the third-party modules, then forks a child per
# project module (two at a time) and prints one line per module that failed to import.
_FORKER = textwrap.dedent(
    """
    import importlib, os, sys, traceback
    packages, modules, preload = sys.argv[1].split(","), sys.argv[2].split(","), sys.argv[3:]
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # a submodule that only imports in some context; not ours to check
    loaded = [name for name in sys.modules if name.split(".")[0] in packages]
    if loaded:
        sys.exit(f"project modules loaded before the forks: {loaded}")

    def child(module):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                importlib.import_module(module)
                code = 0
            except BaseException:
                os.write(write, traceback.format_exc().encode())
                code = 1
            os._exit(code)
        os.close(write)
        return pid, read

    running, failed = [], []
    for module in modules + [None, None]:
        if module is not None:
            running.append((module, *child(module)))
        while running and (len(running) >= 2 or module is None):
            name, pid, read = running.pop(0)
            with os.fdopen(read, "rb") as stream:
                error = stream.read().decode()
            os.waitpid(pid, 0)
            if error:
                failed.append(name + ": " + error.strip().splitlines()[-1])
    print("\\n".join(failed))
    """
)


def third_party_modules(modules: list[str]) -> list[str]:
    """The non-project modules loaded once every project module is imported."""
    code = "import importlib, sys\n"
    code += f"for name in {modules!r}:\n"
    code += "    try:\n        importlib.import_module(name)\n    except Exception:\n        pass\n"
    code += f"print('\\n'.join(n for n in sys.modules if n.split('.')[0] not in {PACKAGES!r}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_project_modules_are_found() -> None:
    modules = project_modules()
    assert "orchestrator.tasks.base" in modules
    assert "executor.engine" in modules
    assert all(importlib.util.find_spec(name) for name in modules[:5])


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = project_modules()
    preload = third_party_modules(modules)
    result = subprocess.run(
        [sys.executable, "-c", _FORKER, ",".join(PACKAGES), ",".join(modules), *preload],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,  # ~15 s idle; several minutes on a loaded 2-core machine,
    )
    assert result.returncode == 0, result.stderr
    failures = [line for line in result.stdout.splitlines() if line]
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize(
    ("statement"),
    [
        "from orchestrator.tasks.base import RunnableTask, LogLevel",
        "from orchestrator.plugin import is_truthy, LogLevel",
        "from orchestrator.models.messages import LogEntry",
    ],
)
def test_old_import_locations_still_work(statement: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", statement], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
