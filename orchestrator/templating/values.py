"""How values look to templates: undefined values, printing and JSON as Pebble does them."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import wraps
from typing import Any, NamedTuple, NoReturn, TypeVar

from jinja2 import StrictUndefined, Undefined
from jinja2.utils import missing


class KestrelUndefined(StrictUndefined):
    """A missing variable or key.

    Attribute, item and call access chain (``outputs.nope.value`` is still undefined, so
    ``??``, ``is defined`` and ``default`` can handle it), but printing, comparing,
    iterating or testing it for truth raises, so an undefined value never renders as "".
    """

    __slots__ = ()
    # Looked up by the sandbox and by Jinja's call machinery; must not chain.
    unsafe_callable = False
    alters_data = False
    jinja_pass_arg = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: Any) -> Any:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calling an undefined value is still undefined."""
        return self

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing:
            return f"undefined variable '{self._undefined_name}'"
        return f"undefined key '{self._undefined_name}'"


def undefined_name(value: Undefined) -> str | None:
    """Return the variable or key name an undefined value stands for."""
    name = value._undefined_name
    return None if name is None else str(name)


def fail_undefined(value: Undefined) -> NoReturn:
    """Raise the error an undefined value carries."""
    value._fail_with_undefined_error()
    raise AssertionError("unreachable")  # pragma: no cover


class Entry(NamedTuple):
    """One entry of a map being iterated, as Pebble's ``{% for e in map %}`` yields it."""

    key: Any
    value: Any


class Box:
    """Holds a value so that ``or`` can short-circuit on presence, not truthiness."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def java_float(value: float) -> str:
    """Format a float as Java's ``Double.toString`` does (``1.0``, ``1.0E20``, ``NaN``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "e" not in text else format(Decimal(text), "f")
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    fraction = mantissa[1:] or "0"
    return f"{'-' if sign else ''}{mantissa[0]}.{fraction}E{power}"


def format_datetime(value: datetime) -> str:
    """Format a datetime the way Java prints an ``Instant`` (UTC, ``Z``, 0/3/6 decimals)."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(UTC)
    text = value.replace(microsecond=0, tzinfo=None).isoformat()
    micros = value.microsecond
    if micros % 1000 == 0 and micros:
        text += f".{micros // 1000:03d}"
    elif micros:
        text += f".{micros:06d}"
    return text + ("Z" if value.tzinfo is not None else "")


def _json_default(value: Any) -> Any:
    if isinstance(value, Undefined):
        fail_undefined(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, set | frozenset):
        return list(value)
    return str(value)


def to_json(value: Any) -> str:
    """Serialise a value as compact JSON, as Jackson writes it for Kestra."""
    if isinstance(value, Entry):
        value = {value.key: value.value}
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def to_output(value: Any) -> str:
    """Turn a value into the text a ``{{ }}`` prints, following Kestra's Pebble writer.

    Booleans print ``true``/``false``, ``None`` prints nothing, maps and lists print as
    compact JSON, floats as Java prints doubles; an undefined value raises.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, Undefined):
        fail_undefined(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_float(value)
    if isinstance(value, Entry):
        return f"{to_output(value.key)}={to_output(value.value)}"
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return to_json(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Box):
        return to_output(value.value)
    return str(value)


_F = TypeVar("_F", bound=Callable[..., Any])


def propagate_undefined(function: _F) -> _F:
    """Make a filter or function return an undefined argument instead of failing on it.

    ``inputs.missing | upper ?? 'x'`` then still reaches ``??`` with an undefined value,
    as in Pebble where the missing attribute error is caught by the ``??`` operator.
    """

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for arg in args:
            if isinstance(arg, Undefined):
                return arg
        return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
