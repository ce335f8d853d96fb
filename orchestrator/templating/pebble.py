"""Translate a whole Pebble template into Jinja source.

Text passes through untouched; every ``{{ }}`` and ``{% %}`` is re-emitted from its parsed
tokens. Only the tags Kestra users write are accepted (``if``/``elseif``/``else``, ``for``,
``set``, ``filter``, ``verbatim``/``raw``); ``include``, ``extends``, ``import`` and
``macro`` have no meaning in a flow and are refused. The translation keeps every
expression on its original line, so Jinja's line numbers are the user's, and the original
expressions are kept to quote them when rendering fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from orchestrator.templating.lexer import Kind, Segment, line_of, split_template, syntax_error
from orchestrator.templating.translator import ExpressionParser, jinja_string

_QUOTED = re.compile(r"'([^']*)'")
_BARE_TAGS = frozenset({"else", "endif", "endfilter", "endfor"})


@dataclass(frozen=True)
class Expression:
    """Where one ``{{ }}`` or ``{% %}`` of the original template sits, for error messages."""

    first_line: int
    last_line: int
    text: str


@dataclass(frozen=True)
class Translation:
    """A template translated to Jinja.

    Attributes:
        jinja_source: Jinja source with the same line structure as the original.
        expressions: The original expressions, in order.
    """

    jinja_source: str
    expressions: tuple[Expression, ...]

    def expression_at(self, line: int | None, name: str | None = None) -> str | None:
        """Return the original expression on a line, preferring one that mentions ``name``."""
        if line is None:
            return None
        on_line = [e.text for e in self.expressions if e.first_line <= line <= e.last_line]
        if name:
            for text in on_line:
                if name in text:
                    return text
        return on_line[0] if on_line else None


def translate(source: str) -> Translation:
    """Translate Pebble template source into Jinja source.

    Raises:
        TemplateError: the template is not valid Pebble.
    """
    out: list[str] = []
    expressions: list[Expression] = []
    loop_depth = 0
    for segment in split_template(source):
        if segment.kind == "text":
            out.append(segment.text)
            continue
        if segment.kind == "raw":
            out.append(_raw(segment))
            continue
        newlines = "\n" * source.count("\n", segment.start, segment.end)
        left = "-" if segment.trim_left else ""
        right = "-" if segment.trim_right else ""
        if segment.kind == "comment":
            out.append(f"{{#{left} {newlines} {right}#}}")
            continue
        expressions.append(
            Expression(
                line_of(source, segment.start),
                line_of(source, segment.end),
                source[segment.start : segment.end],
            )
        )
        if segment.kind == "print":
            code = ExpressionParser(segment.tokens, source, loop_depth > 0).parse_all()
            out.append(f"{{{{{left} {code}{newlines} {right}}}}}")
            continue
        body, loop_depth = _tag(segment, source, loop_depth)
        if body is None:  # verbatim: only its whitespace control survives
            out.append(f"{{#{left} {newlines} #}}")
        else:
            out.append(f"{{%{left} {body}{newlines} {right}%}}")
    return Translation("".join(out), tuple(expressions))


def _raw(segment: Segment) -> str:
    text = segment.text
    newlines = "\n" * text.count("\n")
    # The opening tag's "-%}" and the closing tag's "{%-" trim the verbatim body itself.
    if segment.trim_left:
        text = text.lstrip()
    if segment.trim_right:
        text = text.rstrip()
    return f"{{{{ {jinja_string(text)}{newlines} }}}}"


def _tag(segment: Segment, source: str, loop_depth: int) -> tuple[str | None, int]:
    tokens = segment.tokens
    if tokens[0].kind is not Kind.NAME:
        raise syntax_error(source, segment.start, "expected a tag name after '{%'")
    name = tokens[0].value
    parser = ExpressionParser(tokens, source, loop_depth > 0)
    parser.advance()
    if name in ("verbatim", "raw"):
        parser.expect(Kind.END)
        return None, loop_depth
    if name in ("if", "elseif", "elif"):
        keyword = "if" if name == "if" else "elif"
        return f"{keyword} {parser.parse_all()}", loop_depth
    if name == "for":
        targets = [parser.expect(Kind.NAME).value]
        while parser.is_(Kind.PUNCT, ","):
            parser.advance()
            targets.append(parser.expect(Kind.NAME).value)
        parser.expect(Kind.NAME, "in")
        iterable = parser.parse_all()
        return f"for {', '.join(targets)} in _k_iter({iterable})", loop_depth + 1
    if name in _BARE_TAGS:
        parser.expect(Kind.END)
        if name == "endfor":
            loop_depth = max(loop_depth - 1, 0)
        return name, loop_depth
    if name == "set":
        target = parser.expect(Kind.NAME).value
        parser.expect(Kind.OPERATOR, "=")
        return f"set {target} = {parser.parse_all()}", loop_depth
    if name == "filter":
        chain = []
        while True:
            chain.append(parser.expect(Kind.NAME).value + parser.arguments_if_any())
            if not parser.is_(Kind.OPERATOR, "|"):
                break
            parser.advance()
        parser.expect(Kind.END)
        return "filter " + "|".join(chain), loop_depth
    raise syntax_error(source, segment.start, f"unknown or unsupported tag '{name}'")


def template_line(exc: BaseException) -> int | None:
    """The innermost template line in an exception's traceback (Jinja rewrites frames)."""
    line = None
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def describe_failure(exc: Exception, translation: Translation, line: int | None) -> str:
    """Explain a render failure, quoting the original expression for undefined values."""
    if isinstance(exc, SecurityError):
        return f"unsafe template: {exc}"
    if isinstance(exc, UndefinedError):
        message = str(exc)
        match = _QUOTED.search(message)
        name = match.group(1) if match else None
        expression = translation.expression_at(line, name)
        if expression is not None and name is not None:
            return (
                f"{message} (Unable to find `{name}` used in the expression `{expression}` "
                f"at line {line})"
            )
        return message if line is None else f"{message} at line {line}"
    where = "" if line is None else f" at line {line}"
    return f"{type(exc).__name__}{where}: {exc}"
