"""Checks a Kestrel execution (as `flow test --json` prints it) against Kestra's expectations.

The expectations live in ../shared/kestra-flows/expectations.json, beside the checkout; its
README explains the fields. The folder is read where it is, never copied into the project.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

KESTRA_FLOWS = Path(__file__).resolve().parents[2] / "shared" / "kestra-flows"
_SELECTOR = re.compile(r"^(?P<task>[^.\[]+)(?P<values>(\[[^\]]*\])*)\.(?P<path>.+)$")


def expectations() -> list[dict[str, Any]]:
    """Every run Kestra's tests make, or [] when the folder is not beside the checkout."""
    path = KESTRA_FLOWS / "expectations.json"
    if not path.is_file():
        return []
    loaded: list[dict[str, Any]] = json.loads(path.read_text())
    return loaded


def case_id(expectation: dict[str, Any]) -> str:
    inputs = ",".join(f"{k}={v}" for k, v in sorted(expectation["inputs"].items()))
    return f"{expectation['file']}[{inputs}]" if inputs else expectation["file"]


def mismatches(expectation: dict[str, Any], execution: dict[str, Any]) -> list[str]:
    """Return what differs between the execution and what Kestra's tests assert."""
    problems: list[str] = []
    runs = execution.get("taskRunList", [])
    state = execution["state"]["current"]
    if expectation.get("state") and state != expectation["state"]:
        problems.append(f"state {state}, expected {expectation['state']}")
    count = expectation.get("taskrun_count")
    if count is not None and len(runs) != count:
        ids = [run["taskId"] for run in runs]
        problems.append(f"{len(runs)} task runs, expected {count}: {ids}")
    for task_id, expected in (expectation.get("taskruns") or {}).items():
        first = next((run for run in runs if run["taskId"] == task_id), None)
        actual = first["state"]["current"] if first else None
        if actual != expected:
            problems.append(f"task run {task_id}: {actual}, expected {expected}")
    for task_id, expected in (expectation.get("attempts") or {}).items():
        first = next((run for run in runs if run["taskId"] == task_id), None)
        actual = len(first.get("attempts") or []) if first else None
        if actual != expected:
            problems.append(f"attempts of {task_id}: {actual}, expected {expected}")
    for key, expected in (expectation.get("outputs") or {}).items():
        candidates = _select_outputs(runs, key)
        if not any(_matches(value, expected) for value in candidates):
            problems.append(f"output {key}: {candidates}, expected {expected}")
    for key, expected in (expectation.get("flow_outputs") or {}).items():
        value = (execution.get("outputs") or {}).get(key)
        if not _matches(value, expected):
            problems.append(f"flow output {key}: {value!r}, expected {expected}")
    return problems


def _select_outputs(runs: list[dict[str, Any]], key: str) -> list[Any]:
    match = _SELECTOR.match(key)
    if match is None:
        raise ValueError(f"unreadable output key {key}")
    wanted = re.findall(r"\[([^\]]*)\]", match.group("values"))
    by_id = {run["id"]: run for run in runs}
    values: list[Any] = []
    for run in runs:
        if run["taskId"] != match.group("task"):
            continue
        if wanted and wanted != ["*"] and _loop_values(run, by_id) != wanted:
            continue
        value: Any = run.get("outputs") or {}
        for part in match.group("path").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        values.append(value)
    return values


def _loop_values(run: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[str]:
    chain = []
    parent_id = run.get("parentTaskRunId")
    while parent_id:
        parent = by_id[parent_id]
        if parent.get("value") is not None:
            chain.append(parent["value"])
        parent_id = parent.get("parentTaskRunId")
    values = list(reversed(chain))
    if run.get("value") is not None:
        values.append(run["value"])
    return values


def _matches(value: Any, expected: Any) -> bool:
    if isinstance(expected, dict) and len(expected) == 1:
        ((kind, operand),) = expected.items()
        if kind == "contains":
            return isinstance(value, str) and operand in value
        if kind == "matches":
            return isinstance(value, str) and re.fullmatch(operand, value) is not None
        if kind == "has_items":
            return isinstance(value, list) and all(item in value for item in operand)
    return bool(value == expected)
