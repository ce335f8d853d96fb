"""Load flows from YAML and report every problem as ``file:line:col: message``.

Validation happens in layers, each adding problems with a position: YAML syntax and duplicate
keys, the pydantic models (types, required and unknown properties, task types with a
suggestion, cron expressions, Dag cycles), duplicate task ids; then, as warnings that do not
block a deploy or a run, every template's syntax.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from orchestrator.flows.locations import LocatedDocument, load_located
from orchestrator.flows.locations import Path as DataPath
from orchestrator.flows.problems import FlowCheck, FlowProblem, FlowValidationError
from orchestrator.flows.yaml_errors import yaml_problem
from orchestrator.models.flow import Flow
from orchestrator.tasks.base import TASK_TYPES
from orchestrator.tasks.registry import UnknownTypeError
from orchestrator.templating import TemplateError, validate_template

FLOW_SUFFIXES = (".yaml", ".yml")
_TASK_LIST_KEYS = frozenset({"tasks", "errors", "finally", "then", "else", "defaults"})


def parse_flow(source: str, file: str = "<flow>") -> Flow:
    """Parse and validate a flow from YAML text.

    Template syntax errors are not errors here (see `check_source`): as in Kestra, a broken
    template fails its task at run time with an error naming the task and property.

    Raises:
        FlowValidationError: with every error found, each with its line and column.
    """
    check = check_source(source, file, check_templates=False)
    if check.flow is None:
        raise FlowValidationError(check.errors or [FlowProblem(file, 1, 1, "not a flow")])
    return check.flow


def load_flow_file(path: Path) -> Flow:
    """Read and validate the flow in ``path`` (see `parse_flow`).

    Raises:
        FlowValidationError: the file cannot be read or is not a valid flow.
    """
    return parse_flow(read_flow_source(path), str(path))


def read_flow_source(path: Path) -> str:
    """Return the text of a flow file.

    Raises:
        FlowValidationError: the file cannot be read or is not UTF-8, at ``file:1:1``.
    """
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowValidationError([FlowProblem(str(path), 1, 1, f"cannot read: {exc}")]) from exc


def check_source(source: str, file: str = "<flow>", *, check_templates: bool = True) -> FlowCheck:
    """Check the flow in ``source``: structural errors, and template syntax as warnings.

    The one verdict of ``flow validate``, ``flow deploy`` and ``flow test``: errors make a
    file unusable; warnings are printed, and the task with the broken template fails when
    it runs (``flow validate --strict`` treats warnings as errors).
    """
    try:
        document, errors, flow = _check(source, file)
    except RecursionError:
        # PyYAML composes, and pydantic validates, recursively: a hostile nesting depth
        # would otherwise escape as an internal error.
        return FlowCheck(None, [FlowProblem(file, 1, 1, "invalid YAML: nested too deeply")])
    warnings = []
    if check_templates and document is not None:
        warnings = _template_problems(document, file)
    return FlowCheck(flow, errors, warnings)


def validate_source(source: str, file: str = "<flow>") -> list[FlowProblem]:
    """Return every problem of the flow in ``source``, warnings included (empty if clean)."""
    return check_source(source, file).problems


def find_flow_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into the ``.yaml`` / ``.yml`` files under them, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(each for each in path.rglob("*") if each.suffix in FLOW_SUFFIXES))
        else:
            found.append(path)
    return found


def _check(source: str, file: str) -> tuple[LocatedDocument | None, list[FlowProblem], Flow | None]:
    """Return the document (None if it is no YAML mapping), the errors, and the flow."""
    try:
        document = load_located(source)
    except yaml.YAMLError as exc:
        return None, [yaml_problem(exc, source, file)], None
    if not isinstance(document.data, dict):
        problem = FlowProblem(file, 1, 1, "a flow must be a YAML mapping with id, namespace")
        return None, [problem], None

    problems = [
        FlowProblem(file, pos.line, pos.column, f"duplicate key '{path[-1]}'")
        for path, pos in document.duplicate_keys
    ]
    problems += _duplicate_task_ids(document, file)
    flow: Flow | None = None
    try:
        flow = Flow.model_validate(document.data)
    except ValidationError as exc:
        problems += [
            _problem(document, file, error)
            for error in exc.errors(include_url=False)
            if not str(error.get("msg", "")).startswith("Value error, duplicate task id")
        ]
    return document, sorted(set(problems)), (flow if not problems else None)


def _problem(document: LocatedDocument, file: str, error: ErrorDetails) -> FlowProblem:
    path = _data_path(document.data, error["loc"])
    kind = error["type"]
    where, relative = _describe(document.data, path)
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        position = document.position(path[:-1], prefer_key=False)
        text = f"missing required property '{path[-1]}'"
    elif kind == "extra_forbidden":
        position = document.position(path, prefer_key=True)
        text = f"unknown property '{path[-1]}'{_property_hint(document.data, path)}"
        where = _describe(document.data, path[:-1])[0]
    elif kind == "union_tag_invalid":
        position = document.position((*path, "type"))
        context = error.get("ctx") or {}
        text = (
            f"unknown type '{context.get('tag')}'; expected one of {context.get('expected_tags')}"
        )
    elif kind == "unknown_type":
        position = document.position(path)
        text = message
        where = _describe(document.data, path[:-1])[0]
    else:
        position = document.position(path)
        text = f"property '{_dotted(relative)}': {message}" if relative else message
    prefix = f"{where}: " if where else ""
    return FlowProblem(file, position.line, position.column, prefix + text)


def _data_path(data: Any, loc: tuple[int | str, ...]) -> DataPath:
    """Map a pydantic error location to a path in the YAML data.

    Tagged unions add their tag to the location (``inputs.0.INT.min``); such elements are
    not in the data and are skipped. Locations use aliases, as the YAML does.
    """
    path: list[str | int] = []
    node = data
    for element in loc:
        in_dict = isinstance(node, dict) and element in node
        in_list = isinstance(node, list) and isinstance(element, int) and element < len(node)
        if in_dict or in_list:
            node = node[element]
            path.append(element)
        elif isinstance(node, dict) and isinstance(element, str) and element not in _tags(node):
            path.append(element)  # a missing or unknown key: the last element of the path
            node = None
    return tuple(path)


def _tags(node: dict[Any, Any]) -> set[str]:
    return {str(node.get("type"))}


def _describe(data: Any, path: DataPath) -> tuple[str, DataPath]:
    """Name the innermost task, input or trigger containing ``path``.

    Returns the label (``task 'id'``) and the rest of ``path`` below that element, or an
    empty label and the whole path.
    """
    node = data
    label, rest = "", path
    for index, element in enumerate(path):
        parent_key = path[index - 1] if index else None
        node = _child(node, element)
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            continue
        if parent_key in ("inputs", "onResume"):
            label, rest = f"input '{node['id']}'", path[index + 1 :]
        elif parent_key == "triggers":
            label, rest = f"trigger '{node['id']}'", path[index + 1 :]
        elif "type" in node:
            label, rest = f"task '{node['id']}'", path[index + 1 :]
    return label, rest


def _child(node: Any, element: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(element)
    if isinstance(node, list) and isinstance(element, int) and element < len(node):
        return node[element]
    return None


def _dotted(path: DataPath) -> str:
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else element)
    return text


def _property_hint(data: Any, path: DataPath) -> str:
    """Suggest the closest property of the task type when a property is unknown."""
    node = data
    for element in path[:-1]:
        node = _child(node, element)
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return ""
    try:
        model: type[BaseModel] = TASK_TYPES.resolve(node["type"])
    except UnknownTypeError:
        return ""
    names = [info.alias or name for name, info in model.model_fields.items()]
    match = difflib.get_close_matches(str(path[-1]), names, n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def _task_nodes(node: Any, path: DataPath, in_task_list: bool) -> Iterator[tuple[DataPath, Any]]:
    """Yield ``(path, dict)`` for every raw task definition in the document."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _task_nodes(item, (*path, index), in_task_list)
    elif isinstance(node, dict):
        is_task = in_task_list and isinstance(node.get("id"), str) and "type" in node
        if is_task:
            yield path, node
        for key, value in node.items():
            child_in_list = key in _TASK_LIST_KEYS or (key == "task" and in_task_list)
            if path and path[-1] == "cases":
                child_in_list = True
            yield from _task_nodes(value, (*path, key), child_in_list or key == "cases")


def _duplicate_task_ids(document: LocatedDocument, file: str) -> list[FlowProblem]:
    seen: dict[str, DataPath] = {}
    problems = []
    for path, task in _task_nodes(document.data, (), False):
        task_id = task["id"]
        if task_id in seen:
            position = document.position((*path, "id"))
            first = document.position((*seen[task_id], "id"))
            problems.append(
                FlowProblem(
                    file,
                    position.line,
                    position.column,
                    f"duplicate task id '{task_id}' (first used on line {first.line})",
                )
            )
        else:
            seen[task_id] = path
    return problems


def _strings(node: Any, path: DataPath) -> Iterator[tuple[DataPath, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))


def _template_problems(document: LocatedDocument, file: str) -> list[FlowProblem]:
    problems = []
    data = document.data
    for key in ("tasks", "errors", "finally", "variables", "outputs", "triggers", "labels"):
        for path, text in _strings(data.get(key), (key,)):
            if "{{" not in text and "{%" not in text:
                continue
            try:
                validate_template(text)
            except TemplateError as exc:
                position = document.position(path)
                where, relative = _describe(data, path)
                prefix = f"{where}: " if where else ""
                message = f"{prefix}property '{_dotted(relative)}': invalid template: {exc}"
                problems.append(
                    FlowProblem(file, position.line, position.column, message, warning=True)
                )
    return problems
