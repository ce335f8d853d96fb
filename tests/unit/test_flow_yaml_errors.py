"""YAML syntax errors point inside the file, at where the unclosed thing was opened."""

import pytest

from orchestrator.flows import validate_source

HEAD = "id: q\nnamespace: n\ntasks:\n  - id: a\n    type: kestrel.core.log.Log\n"


@pytest.mark.parametrize(
    ("tail", "line", "column", "words"),
    [
        ('    message: "hello\n  - id: b\n    type: x\n', 6, 14, "quoted string opened here"),
        ("    message: 'hello\n", 6, 14, "quoted string opened here"),
        ("    message: [1, 2\n", 6, 14, "list opened here"),
        ("    message: {a: 1\n", 6, 14, "mapping opened here"),
    ],
)
def test_an_unclosed_quote_or_bracket_points_where_it_opened(
    tail: str, line: int, column: int, words: str
) -> None:
    source = HEAD + tail
    (problem,) = validate_source(source, "f.yaml")
    assert (problem.line, problem.column) == (line, column), problem
    assert words in problem.message and "never closed" in problem.message


def test_no_position_is_past_the_end_of_the_file() -> None:
    for source in (HEAD + "    message: x\n  bad: [\n", "id: [\n", "a: 'x\n\n\n"):
        lines = max(1, len(source.splitlines()))
        for problem in validate_source(source, "f.yaml"):
            assert 1 <= problem.line <= lines, (source, problem)


def test_a_forbidden_character_is_one_line_at_its_position() -> None:
    (problem,) = validate_source("id: q\nnamespace: \x00n\n", "f.yaml")
    assert (problem.line, problem.column) == (2, 12)
    assert "\n" not in str(problem) and "character '\\x00' is not allowed" in problem.message


def test_hostile_nesting_is_a_problem_not_an_internal_error() -> None:
    depth = 3000
    source = f"id: d\nnamespace: n\ntasks: {'[' * depth}{']' * depth}\n"
    (problem,) = validate_source(source, "f.yaml")
    assert str(problem) == "f.yaml:1:1: invalid YAML: nested too deeply"
