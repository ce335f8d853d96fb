"""YAML syntax errors as one problem inside the file, in the user's words.

PyYAML reports an unclosed quote or bracket at the end of the stream, which for a file
ending with a newline is a line past its last one, and names neither the quote nor where it
opened. The opening is what the user must fix, so the problem points there.
"""

from __future__ import annotations

import yaml

from orchestrator.flows.problems import FlowProblem

# PyYAML's names for what was left open, in the words of a flow's author.
_OPENED = {
    "quoted scalar": "quoted string",
    "flow sequence": "[ list",
    "flow mapping": "{ mapping",
    "block mapping": "mapping",
    "block collection": "list",
}


def yaml_problem(error: yaml.YAMLError, source: str, file: str) -> FlowProblem:
    """Return the problem a YAML syntax error makes, at a position inside ``source``."""
    if isinstance(error, yaml.reader.ReaderError):
        # A character YAML does not allow (a NUL, a control character): at its position.
        before = source[: error.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        character = repr(chr(error.character)) if isinstance(error.character, int) else "?"
        return FlowProblem(
            file, line, column, f"invalid YAML: character {character} is not allowed"
        )
    if not isinstance(error, yaml.MarkedYAMLError):
        return FlowProblem(file, 1, 1, f"invalid YAML: {error}")
    problem = error.problem or "syntax error"
    context, opened = error.context, error.context_mark
    at_end = _at_end(error.problem_mark, source)
    if opened is not None and context and at_end and not _at_end(opened, source):
        what = context.removeprefix("while scanning ").removeprefix("while parsing ")
        what = what.removeprefix("a ")
        what = _OPENED.get(what, what)
        return FlowProblem(
            file,
            opened.line + 1,
            opened.column + 1,
            f"invalid YAML: the {what} opened here is never closed",
        )
    line, column = _inside(error.problem_mark or opened, source)
    message = f"invalid YAML: {problem}"
    if context and opened is not None:
        message += f" ({context} started at line {opened.line + 1}, column {opened.column + 1})"
    return FlowProblem(file, line, column, message)


def _at_end(mark: yaml.Mark | None, source: str) -> bool:
    """Whether ``mark`` is at the end of the text (only blank text after it)."""
    return mark is None or not source[mark.index :].strip()


def _inside(mark: yaml.Mark | None, source: str) -> tuple[int, int]:
    """The 1-based line and column of ``mark``, moved back onto the last line if past it."""
    if mark is None:
        return 1, 1
    lines = source.splitlines() or [""]
    if mark.line < len(lines):
        return mark.line + 1, mark.column + 1
    return len(lines), len(lines[-1]) + 1
