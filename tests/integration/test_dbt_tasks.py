"""dbt tasks running a real small dbt project (tests/dbt_project) on DuckDB.

dbt-core pins a pathspec older than mypy 2 accepts, so it cannot share the project's venv:
the fixture makes a venv of its own once, under ~/.cache/kestrel-tests (kept between runs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from plugin_context import context_of, run_task, task_of

from plugins.scripts.errors import CommandFailedError

PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
DBT_REQUIREMENTS = ["dbt-core>=1.9,<1.11", "dbt-duckdb>=1.9,<1.10"]
PROFILES = """
kestrel_test:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ workingDir }}/dev.duckdb"
      threads: 1
"""


@pytest.fixture(scope="module")
def dbt_bin() -> Path:
    cache = Path(os.environ.get("KESTREL_TEST_CACHE", Path.home() / ".cache" / "kestrel-tests"))
    venv = cache / "dbt-1.10"
    if not (venv / "bin" / "dbt").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", *DBT_REQUIREMENTS], check=True
        )
    return venv / "bin"


def dbt_task(dbt_bin: Path, **properties: Any) -> dict[str, Any]:
    return {
        "profiles": PROFILES,
        "beforeCommands": [f"cp -r {PROJECT}/. ."],
        "env": {"PATH": f"{dbt_bin}:/usr/bin:/bin", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        **properties,
    }


def test_dbt_cli_builds_the_project(tmp_path: Path, dbt_bin: Path) -> None:
    outputs = run_task(
        {
            "type": "io.kestra.plugin.dbt.cli.DbtCLI",
            "commands": ["dbt build --exclude no_negative_amount"],
            "outputFiles": ["target/run_results.json"],
            **dbt_task(dbt_bin),
        },
        tmp_path,
    )
    assert outputs["exitCode"] == 0
    # the seed, the model, and its two column tests
    assert outputs["runResults"] == {"success": 2, "pass": 2}
    assert "target/run_results.json" in outputs["outputFiles"]


def test_build_fails_when_a_selected_node_s_test_fails(tmp_path: Path, dbt_bin: Path) -> None:
    # Selecting the seed selects its singular test too, which fails on purpose.
    with pytest.raises(CommandFailedError, match="exit code 1"):
        run_task(
            {"type": "io.kestra.plugin.dbt.cli.Build", "select": ["orders"], **dbt_task(dbt_bin)},
            tmp_path,
        )


def test_build_turns_kestra_options_into_dbt_flags(tmp_path: Path) -> None:
    task = task_of(
        {
            "type": "io.kestra.plugin.dbt.cli.Build",
            "dbtPath": "./bin/dbt",
            "debug": True,
            "failFast": True,
            "thread": 4,
            "target": "{{ target }}",
            "select": ["tag:daily", "orders"],
            "exclude": ["legacy"],
        }
    )
    ctx = context_of(task, tmp_path, target="prod")
    command, _ = task._main_commands(ctx, tmp_path, {})  # type: ignore[attr-defined]
    assert command == (
        "dbt --debug build --fail-fast --threads 4 --target prod "
        "--select tag:daily orders --exclude legacy"
    )


def test_profiles_dir_and_the_dbt_beside_kestrel_are_found(tmp_path: Path) -> None:
    old_style = task_of(
        {
            "type": "io.kestra.plugin.dbt.cli.Build",
            "dockerOptions": {"image": "dbt:1"},
            "inputFiles": {".profile/profiles.yml": "p: {}"},
        }
    )
    env = old_style._environment(context_of(old_style, tmp_path), tmp_path, {})  # type: ignore[attr-defined]
    assert env["DBT_PROFILES_DIR"] == str(tmp_path / ".profile")
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    image = old_style._image(context_of(old_style, tmp_path))  # type: ignore[attr-defined]
    assert image == "dbt:1"
    new_style = task_of(
        {
            "type": "io.kestra.plugin.dbt.cli.DbtCLI",
            "commands": ["dbt build"],
            "profiles": "p: {}",
            "projectDir": "project",
        }
    )
    env = new_style._environment(context_of(new_style, tmp_path), tmp_path, {})  # type: ignore[attr-defined]
    assert env["DBT_PROFILES_DIR"] == str(tmp_path)
    assert env["DBT_PROJECT_DIR"] == str(tmp_path / "project")
