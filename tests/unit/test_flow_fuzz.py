"""Generated flow files, valid-looking and broken, never give a traceback.

`flow validate` (and the check `flow deploy` runs before publishing, `check_files`) must
answer any input with exit 0 or 1 and problems as ``file:line:col: message``.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.cli.main import cli
from orchestrator.flows import FlowValidationError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SOURCES = [path.read_text() for path in EXAMPLES]
SUMMARY = re.compile(r"^\d+ of \d+ flow file\(s\) invalid$")
JUNK = ["\t", '"', "'", "[", "{", "}", "]", ": ", "- ", "{{", "{%", "}}", "&a", "*a", "!!python/x"]
VALUES: list[Any] = [None, 0, -1, 1.5, True, "", "x" * 300, [], {}, [1, [2]], {"a": {"b": 1}}]
BAD_TYPES = ["io.kestra.plugin.core.log.Logg", "Nope", "", "kestrel.core.flow.Parallel"]
TEMPLATES = ["{{ inputs.x ", "{% if %}", "{{ outputs.a.b | nope }}", "{{ }}", "{% for x %}"]


@st.composite
def text_mutation(draw: st.DrawFn) -> bytes:
    """An example flow with a few lines dropped, duplicated or spliced with junk."""
    lines = draw(st.sampled_from(SOURCES)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, max(0, len(lines) - 1)))
        action = draw(st.sampled_from(["drop", "duplicate", "splice", "truncate", "indent"]))
        if not lines:
            break
        if action == "drop":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "splice":
            at = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:at] + draw(st.sampled_from(JUNK)) + lines[index][at:]
        elif action == "truncate":
            lines = [*lines[:index], lines[index][: draw(st.integers(0, len(lines[index])))]]
        else:
            lines[index] = draw(st.sampled_from(["\t", "  ", " "])) + lines[index]
    data = "".join(lines).encode()
    if draw(st.booleans()) and draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xe2\x82"])) + data[at:]
        )
    return data


@st.composite
def data_mutation(draw: st.DrawFn) -> bytes:
    """An example flow whose parsed data got wrong types, unknown task types or templates."""
    data = yaml.safe_load(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(1, 3))):
        node, key = _pick(draw, data)
        if node is None:
            break
        action = draw(st.sampled_from(["drop", "value", "type", "template", "unknown"]))
        if action == "drop":
            del node[key]
        elif action == "value":
            node[key] = draw(st.sampled_from(VALUES))
        elif action == "type":
            node["type"] = draw(st.sampled_from(BAD_TYPES))
        elif action == "template":
            node[key] = draw(st.sampled_from(TEMPLATES))
        else:
            node[draw(st.sampled_from(["mesage", "taks", "x-y", "id "]))] = 1
    return yaml.safe_dump(data, sort_keys=False).encode()


def _pick(draw: st.DrawFn, data: Any) -> tuple[dict[str, Any] | None, str]:
    """A mapping somewhere in ``data`` and one of its keys."""
    mappings: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node:
                mappings.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    if not mappings:
        return None, ""
    node = draw(st.sampled_from(mappings))
    return node, draw(st.sampled_from(sorted(node, key=str)))


deep = st.integers(50, 1500).map(
    lambda depth: f"id: d\nnamespace: n\ntasks: {'[' * depth}{']' * depth}\n".encode()
)
huge = st.integers(500, 3000).map(
    lambda count: ("id: h\nnamespace: n\ntasks:\n" + "  - {id: a, type: x}\n" * count).encode()
)
FILES = st.one_of(text_mutation(), data_mutation(), deep, huge, st.binary(max_size=200))


def _validate(data: bytes) -> tuple[Path, Any]:
    folder = Path(tempfile.mkdtemp())
    path = folder / "flow.yaml"
    path.write_bytes(data)
    return path, CliRunner().invoke(cli, ["flow", "validate", str(path)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILES)
def test_flow_validate_reports_every_problem_at_a_position(data: bytes) -> None:
    path, result = _validate(data)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    position = re.compile(rf"^{re.escape(str(path))}:\d+:\d+: ")
    for line in result.stderr.splitlines():
        assert position.match(line) or SUMMARY.match(line), line
    lines = max(1, len(data.splitlines()))
    for line in result.stderr.splitlines():
        if found := position.match(line):
            number = int(found.group(0).rsplit(":", 3)[-3])
            assert 1 <= number <= lines + 1, line


@settings(max_examples=40, deadline=None)
@given(st.one_of(text_mutation(), data_mutation()))
def test_the_check_before_a_deploy_raises_only_flow_validation_errors(data: bytes) -> None:
    from orchestrator.cli.deploy import check_files

    folder = Path(tempfile.mkdtemp())
    path = folder / "flow.yaml"
    path.write_bytes(data)
    warnings: list[str] = []
    try:
        check_files([path], warn=warnings.append)
    except FlowValidationError as exc:
        assert all(re.match(rf"^{re.escape(str(path))}:\d+:\d+: ", str(p)) for p in exc.problems)
    assert all(": warning: " in warning for warning in warnings)
