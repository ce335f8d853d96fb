"""Translate Pebble expressions into Jinja expressions.

Pebble and Jinja share most syntax but not operator precedence, the ternary ``a ? b : c``,
null-coalescing ``??``, ``equals``, ``contains``, ``..`` ranges, string interpolation or
the meaning of ``~`` with non-strings. Rather than patching text with regular expressions,
each expression is parsed with Pebble's precedence table and printed back as a fully
parenthesised Jinja expression that calls small helpers (``_k_*``, see ``functions.py``)
where Jinja has no equivalent.
"""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.templating.lexer import Kind, Token, syntax_error

#: Pebble's binary operators and precedences (Kestra adds ``??``/``???``; ``in`` is Kestra's).
BINARY_PRECEDENCE: dict[str, int] = {
    "or": 10,
    "and": 15,
    "is": 20,
    "contains": 20,
    "in": 30,
    "not in": 30,
    "==": 30,
    "equals": 30,
    "!=": 30,
    "<": 30,
    ">": 30,
    "<=": 30,
    ">=": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "|": 100,
    "~": 110,
    "..": 120,
    "??": 120,
    "???": 120,
}
UNARY_PRECEDENCE = 500
_LITERALS = {"true": "true", "false": "false", "null": "none", "none": "none"}
_LITERALS |= {"True": "true", "False": "false", "None": "none"}
_HELPERS = {
    "~": "_k_concat",
    "..": "_k_range",
    "contains": "_k_contains",
    "/": "_k_div",
    "%": "_k_mod",
}
#: Pebble's loop counters start at 0; Jinja's ``index0``/``revindex0`` do.
_LOOP_ATTRIBUTES = {"index": "index0", "revindex": "revindex0"}


def jinja_string(text: str) -> str:
    """Quote text as a Jinja string literal."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    # Jinja decodes literals with ``unicode-escape``; escaped line breaks keep the translated
    # template on as many lines as the original, so error line numbers still match.
    return "'" + escaped.replace("\n", "\\n").replace("\r", "\\r") + "'"


class ExpressionParser:
    """A Pratt parser over one expression's tokens that emits Jinja source.

    Args:
        tokens: The tokens, ending with an END token.
        source: The whole template, for error positions.
        in_loop: Whether the expression sits inside a ``{% for %}`` body, where
            ``loop.index`` means Pebble's zero-based counter.
    """

    def __init__(self, tokens: list[Token] | tuple[Token, ...], source: str, in_loop: bool) -> None:
        self.tokens = tokens
        self.source = source
        self.in_loop = in_loop
        self.index = 0

    @property
    def current(self) -> Token:
        """The token under the cursor."""
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        """The token ``offset`` places after the cursor (END past the end)."""
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        """Consume and return the current token."""
        token = self.current
        if token.kind is not Kind.END:
            self.index += 1
        return token

    def is_(self, kind: Kind, value: str | None = None) -> bool:
        """Whether the current token has this kind (and value)."""
        token = self.current
        return token.kind is kind and (value is None or token.value == value)

    def expect(self, kind: Kind, value: str | None = None) -> Token:
        """Consume a token of this kind (and value) or raise a syntax error."""
        if not self.is_(kind, value):
            wanted = repr(value) if value is not None else kind.value
            raise self.error(f"expected {wanted}")
        return self.advance()

    def error(self, message: str) -> Exception:
        """Build a syntax error at the current token."""
        token = self.current
        found = "end of expression" if token.kind is Kind.END else repr(token.value or '"..."')
        return syntax_error(self.source, token.pos, f"{message}, found {found}")

    def parse_all(self) -> str:
        """Parse one whole expression; nothing may follow it."""
        code = self.parse_expression()
        if not self.is_(Kind.END):
            raise self.error("unexpected token after expression")
        return code

    def parse_expression(self, min_precedence: int = 0) -> str:
        """Parse an expression whose binary operators bind at least ``min_precedence``."""
        token = self.current
        if token.value in ("not", "-", "+") and token.kind in (Kind.NAME, Kind.OPERATOR):
            self.advance()
            operand = self.parse_expression(UNARY_PRECEDENCE)
            code = f"(not {operand})" if token.value == "not" else f"({token.value}{operand})"
        elif self.is_(Kind.PUNCT, "("):
            self.advance()
            inner = self.parse_expression()
            self.expect(Kind.PUNCT, ")")
            code = self.parse_postfix(f"({inner})", is_loop=False)
        else:
            code = self.parse_primary()
        while True:
            operator = self._binary_operator()
            if operator is None or BINARY_PRECEDENCE[operator] < min_precedence:
                break
            self.advance()
            if operator == "not in":
                self.advance()
            code = self._binary(operator, code)
        if min_precedence == 0:
            code = self._ternary(code)
        return code

    def _binary_operator(self) -> str | None:
        token = self.current
        if token.kind is Kind.NAME and token.value == "not":
            nxt = self.peek()
            return "not in" if nxt.kind is Kind.NAME and nxt.value == "in" else None
        if token.kind in (Kind.NAME, Kind.OPERATOR) and token.value in BINARY_PRECEDENCE:
            return token.value
        return None

    def _binary(self, operator: str, left: str) -> str:
        if operator == "|":
            name = self.expect(Kind.NAME).value
            return f"(({left})|{name}{self.arguments_if_any()})"
        if operator == "is":
            negate = self.is_(Kind.NAME, "not")
            if negate:
                self.advance()
            name = self.expect(Kind.NAME).value
            test = "null" if name == "none" else name
            return f"(({left}) is {'not ' if negate else ''}{test}{self.arguments_if_any()})"
        right = self.parse_expression(BINARY_PRECEDENCE[operator] + 1)
        if operator in ("and", "or"):
            # Pebble's logical operators yield booleans, not one of their operands.
            return f"(not not ({left} {operator} {right}))"
        if operator == "??":
            return f"_k_unbox(_k_present({left}) or _k_box({right}))"
        if operator == "???":
            return f"_k_unbox(_k_defined({left}) or _k_box({right}))"
        if operator in _HELPERS:
            return f"{_HELPERS[operator]}({left}, {right})"
        if operator == "equals":
            operator = "=="
        return f"({left} {operator} {right})"

    def _ternary(self, condition: str) -> str:
        if self.is_(Kind.PUNCT, "?"):
            self.advance()
            then = self.parse_expression()
            self.expect(Kind.PUNCT, ":")
            otherwise = self.parse_expression()
            return f"(({then}) if ({condition}) else ({otherwise}))"
        if self.is_(Kind.NAME, "if"):  # Jinja's own conditional expression, as a courtesy
            self.advance()
            test = self.parse_expression()
            self.expect(Kind.NAME, "else")
            otherwise = self.parse_expression()
            return f"(({condition}) if ({test}) else ({otherwise}))"
        return condition

    def parse_primary(self) -> str:
        """Parse a literal, name, call, list or map, then its postfix accessors."""
        token = self.current
        if token.kind is Kind.NUMBER:
            self.advance()
            return self.parse_postfix(token.value, is_loop=False)
        if token.kind is Kind.STRING:
            self.advance()
            return self.parse_postfix(self._string(token), is_loop=False)
        if token.kind is Kind.NAME:
            self.advance()
            if token.value in _LITERALS:
                return self.parse_postfix(_LITERALS[token.value], is_loop=False)
            if self.is_(Kind.PUNCT, "("):
                return self.parse_postfix(token.value + self._arguments(), is_loop=False)
            return self.parse_postfix(token.value, is_loop=token.value == "loop")
        if self.is_(Kind.PUNCT, "["):
            self.advance()
            items = self._sequence("]", self.parse_expression)
            return self.parse_postfix(f"[{items}]", is_loop=False)
        if self.is_(Kind.PUNCT, "{"):
            self.advance()
            items = self._sequence("}", self._map_entry)
            return self.parse_postfix(f"{{{items}}}", is_loop=False)
        raise self.error("expected a value")

    def parse_postfix(self, code: str, *, is_loop: bool) -> str:
        """Parse ``.attr``, ``.method(...)``, ``[key]`` and ``(...)`` after a value."""
        while True:
            if self.is_(Kind.PUNCT, "."):
                self.advance()
                token = self.current
                if token.kind not in (Kind.NAME, Kind.NUMBER) or "." in token.value:
                    raise self.error("expected an attribute name")
                self.advance()
                name = token.value
                if is_loop and self.in_loop:
                    name = _LOOP_ATTRIBUTES.get(name, name)
                code = f"{code}.{name}"
            elif self.is_(Kind.PUNCT, "["):
                self.advance()
                key = self.parse_expression()
                self.expect(Kind.PUNCT, "]")
                code = f"{code}[{key}]"
            elif self.is_(Kind.PUNCT, "("):
                code = code + self._arguments()
            else:
                return code
            is_loop = False

    def arguments_if_any(self) -> str:
        """Parse a parenthesised argument list if one follows, else return ""."""
        return self._arguments() if self.is_(Kind.PUNCT, "(") else ""

    def _arguments(self) -> str:
        self.expect(Kind.PUNCT, "(")
        return f"({self._sequence(')', self._argument)})"

    def _argument(self) -> str:
        if self.current.kind is Kind.NAME and self.peek().value == "=":
            name = self.advance().value
            self.advance()
            return f"{name}={self.parse_expression()}"
        return self.parse_expression()

    def _map_entry(self) -> str:
        key = self.parse_expression()
        self.expect(Kind.PUNCT, ":")
        return f"{key}: {self.parse_expression()}"

    def _sequence(self, closer: str, parse_item: Callable[[], str]) -> str:
        items: list[str] = []
        while not self.is_(Kind.PUNCT, closer):
            items.append(parse_item())
            if not self.is_(Kind.PUNCT, ","):
                break
            self.advance()
        self.expect(Kind.PUNCT, closer)
        return ", ".join(items)

    def _string(self, token: Token) -> str:
        if not token.parts:
            return jinja_string(token.value)
        pieces: list[str] = []
        for part in token.parts:
            if isinstance(part, str):
                if part:
                    pieces.append(jinja_string(part))
            else:
                pieces.append(ExpressionParser(part, self.source, self.in_loop).parse_all())
        return f"_k_concat({', '.join(pieces)})" if pieces else "''"
