"""Split Pebble templates into segments and expressions into tokens.

The lexer is the reason the translator never rewrites text inside a quoted string: every
expression is read token by token, and a string literal is one token whatever it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from orchestrator.templating.errors import TemplateError


class Kind(Enum):
    """What a token is."""

    NAME = "name"
    NUMBER = "number"
    STRING = "string"
    OPERATOR = "operator"
    PUNCT = "punctuation"
    END = "end"


@dataclass(frozen=True)
class Token:
    """One token of an expression.

    Attributes:
        kind: What the token is.
        value: Its text; for strings the decoded text, for interpolated strings "".
        pos: Offset of the token in the whole template.
        parts: For a double-quoted string with ``#{...}``, the literal pieces (``str``)
            and the token lists of the embedded expressions, in order.
    """

    kind: Kind
    value: str
    pos: int
    parts: tuple[str | tuple[Token, ...], ...] = ()


@dataclass
class Segment:
    """One piece of a template.

    Attributes:
        kind: ``text``, ``print`` (``{{ }}``), ``tag`` (``{% %}``), ``comment`` or ``raw``
            (the body of ``{% verbatim %}`` / ``{% raw %}``).
        start: Offset of the segment in the template.
        end: Offset just past the segment.
        text: For text, raw and comment segments the content.
        tokens: For print and tag segments the tokens, ending with an END token.
        trim_left: ``{{-``: strip whitespace before.
        trim_right: ``-}}``: strip whitespace after.
    """

    kind: str
    start: int
    end: int
    text: str = ""
    tokens: list[Token] = field(default_factory=list)
    trim_left: bool = False
    trim_right: bool = False


_OPENERS = re.compile(r"\{\{|\{%|\{#")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Longest first, so that "??" is not read as "?" "?".
_OPERATORS = (
    *("???", "??", "==", "!=", "<=", ">=", ".."),
    *("<", ">", "+", "-", "*", "/", "%", "|", "~", "="),
)
_PUNCTUATION = "()[]{},:.?"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "#": "#"}
_RAW_END = re.compile(r"\{%(-?)\s*end(?:verbatim|raw)\s*(-?)%\}")


def line_of(source: str, pos: int) -> int:
    """Return the 1-based line number of an offset."""
    return source.count("\n", 0, pos) + 1


def syntax_error(source: str, pos: int, message: str) -> TemplateError:
    """Build a syntax error pointing at an offset of the template."""
    line = line_of(source, pos)
    return TemplateError(f"syntax error at line {line}: {message}", line=line)


def split_template(source: str) -> list[Segment]:
    """Split a template into text, ``{{ }}``, ``{% %}``, comment and verbatim segments.

    Raises:
        TemplateError: a delimiter is not closed or an expression holds an unknown character.
    """
    segments: list[Segment] = []
    pos = 0
    while pos < len(source):
        match = _OPENERS.search(source, pos)
        if match is None:
            segments.append(Segment("text", pos, len(source), text=source[pos:]))
            break
        start = match.start()
        if start > pos:
            segments.append(Segment("text", pos, start, text=source[pos:start]))
        inner = start + 2
        trim_left = source.startswith("-", inner)
        if trim_left:
            inner += 1
        opener = match.group()
        if opener == "{#":
            close = source.find("#}", inner)
            if close < 0:
                raise syntax_error(source, start, "comment '{#' is never closed")
            trim_right = close > inner and source[close - 1] == "-"
            segments.append(
                Segment("comment", start, close + 2, source[inner:close], [], trim_left, trim_right)
            )
            pos = close + 2
            continue
        closer = "}}" if opener == "{{" else "%}"
        tokens, end, trim_right = tokenize(source, inner, closer)
        kind = "print" if opener == "{{" else "tag"
        segments.append(Segment(kind, start, end, "", tokens, trim_left, trim_right))
        pos = end
        if kind == "tag" and tokens[0].kind is Kind.NAME and tokens[0].value in ("verbatim", "raw"):
            close_match = _RAW_END.search(source, pos)
            if close_match is None:
                raise syntax_error(source, start, f"'{tokens[0].value}' is never closed")
            body = source[pos : close_match.start()]
            trim_body_end = close_match.group(1) == "-"
            segments.append(
                Segment("raw", pos, close_match.start(), body, [], trim_right, trim_body_end)
            )
            # The closing tag only survives as its trailing whitespace control.
            trim_after = close_match.group(2) == "-"
            segments.append(
                Segment(
                    "comment", close_match.start(), close_match.end(), "", [], False, trim_after
                )
            )
            pos = close_match.end()
    return segments


def tokenize(source: str, pos: int, closer: str) -> tuple[list[Token], int, bool]:
    """Read expression tokens from ``pos`` up to ``closer`` outside braces and strings.

    Args:
        source: The whole template.
        pos: Where the expression starts.
        closer: ``}}``, ``%}`` or, for ``#{...}`` interpolation, ``}``.

    Returns:
        The tokens (ending with an END token), the offset after the closer, and whether the
        closer had a ``-`` whitespace-control marker.

    Raises:
        TemplateError: the expression is not closed or holds an unknown character.
    """
    tokens: list[Token] = []
    depth = 0
    length = len(source)
    while True:
        while pos < length and source[pos].isspace():
            pos += 1
        if pos >= length:
            raise syntax_error(source, pos, f"expected '{closer}' before the end of the template")
        if depth == 0:
            if source.startswith("-" + closer, pos) and closer != "}":
                tokens.append(Token(Kind.END, "", pos))
                return tokens, pos + 1 + len(closer), True
            if source.startswith(closer, pos):
                tokens.append(Token(Kind.END, "", pos))
                return tokens, pos + len(closer), False
        char = source[pos]
        if char in "'\"":
            token, pos = _read_string(source, pos)
            tokens.append(token)
            continue
        match = _NUMBER.match(source, pos) or _NAME.match(source, pos)
        if match is not None:
            kind = Kind.NUMBER if char.isdigit() else Kind.NAME
            tokens.append(Token(kind, match.group(), pos))
            pos = match.end()
            continue
        operator = next((op for op in _OPERATORS if source.startswith(op, pos)), None)
        if operator is not None:
            tokens.append(Token(Kind.OPERATOR, operator, pos))
            pos += len(operator)
            continue
        if char in _PUNCTUATION:
            # Only braces can hide a closer ("}}" ending a map literal); an unclosed "(" is
            # better reported by the parser than as a template that never ends.
            if char == "{":
                depth += 1
            elif char == "}":
                depth = max(depth - 1, 0)
            tokens.append(Token(Kind.PUNCT, char, pos))
            pos += 1
            continue
        raise syntax_error(source, pos, f"unexpected character {char!r}")


def _read_string(source: str, pos: int) -> tuple[Token, int]:
    quote = source[pos]
    start = pos
    pos += 1
    parts: list[str | tuple[Token, ...]] = []
    chunk: list[str] = []
    while True:
        if pos >= len(source):
            raise syntax_error(source, start, "string literal is never closed")
        char = source[pos]
        if char == quote:
            break
        if char == "\\" and pos + 1 < len(source):
            escaped = source[pos + 1]
            chunk.append(_ESCAPES.get(escaped, "\\" + escaped))
            pos += 2
            continue
        if quote == '"' and source.startswith("#{", pos):
            parts.append("".join(chunk))
            chunk = []
            inner, pos, _ = tokenize(source, pos + 2, "}")
            parts.append(tuple(inner))
            continue
        chunk.append(char)
        pos += 1
    text = "".join(chunk)
    if not parts:
        return Token(Kind.STRING, text, start), pos + 1
    parts.append(text)
    return Token(Kind.STRING, "", start, tuple(parts)), pos + 1
