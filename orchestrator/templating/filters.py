"""Pebble's and Kestra's filters, with their Java behaviour where it differs.

Every filter except ``default`` hands an undefined input straight back (see
``propagate_undefined``), so the undefined value still fails when printed, naming the
missing variable, or is caught by ``??``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sized
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import yaml
from jinja2 import Undefined

from orchestrator.templating.date_filters import DATE_FILTERS
from orchestrator.templating.errors import TemplateError
from orchestrator.templating.functions import from_json
from orchestrator.templating.predicates import test_empty
from orchestrator.templating.values import propagate_undefined, to_json, to_output

_JAVA_GROUP = re.compile(r"\$(\d+)|\$\{(\w+)\}")
_SLUG_DROP = re.compile(r"[^A-Za-z0-9_-]")


def _text(value: Any) -> str:
    return to_output(value)


def default(value: Any, default_value: Any = "") -> Any:
    """Pebble's ``default``: the fallback for undefined, null or empty values."""
    if isinstance(value, Undefined) or test_empty(value):
        return default_value
    return value


def capitalize(value: Any) -> str:
    """Upper-case the first character only, as Pebble does."""
    text = _text(value)
    return text[:1].upper() + text[1:]


def title(value: Any) -> str:
    """Upper-case the first letter of every word and lower-case the rest."""
    return re.sub(r"\S+", lambda m: m.group()[:1].upper() + m.group()[1:].lower(), _text(value))


def first(value: Any) -> Any:
    """First element, character or map key; None when empty."""
    items = list(value) if isinstance(value, Mapping) else value
    return items[0] if items else None


def last(value: Any) -> Any:
    """Last element, character or map key; None when empty."""
    items = list(value) if isinstance(value, Mapping) else value
    return items[-1] if items else None


def join(value: Any, separator: str = "") -> str:
    """Join the items of a list, printing each as Java would (null as ``null``)."""
    return separator.join("null" if item is None else _text(item) for item in value)


def length(value: Any) -> int:
    """Length of a string, list or map; 0 for null."""
    if value is None:
        return 0
    if isinstance(value, Sized):
        return len(value)
    raise TemplateError(f"length of a {type(value).__name__} is undefined")


def split(value: Any, delimiter: str, limit: int | None = None) -> list[str]:
    """Java's ``String.split``: the delimiter is a regex, trailing empty items are dropped."""
    text = _text(value)
    if limit is not None and limit > 0:
        return re.split(delimiter, text, maxsplit=limit - 1)
    parts = re.split(delimiter, text)
    if limit is None or limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def replace(value: Any, replace_pairs: Any, regexp: Any = False) -> Any:
    """Replace each key of ``replace_pairs`` by its value (in strings, lists and maps).

    ``regexp=true`` makes the keys regexes (``$1`` refers to a group). Jinja's
    ``replace('old', 'new')`` form is accepted too.
    """
    if isinstance(replace_pairs, str):
        pairs: Mapping[Any, Any] = {replace_pairs: regexp}
        regexp = False
    elif isinstance(replace_pairs, Mapping):
        pairs = replace_pairs
    else:
        raise TemplateError("replace expects a map of replacements, like replace({'a': 'b'})")
    if isinstance(value, Mapping):
        return {key: replace(item, pairs, regexp) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [replace(item, pairs, regexp) for item in value]
    text = _text(value)
    for old, new in pairs.items():
        if regexp is True:
            text = re.sub(_text(old), _JAVA_GROUP.sub(r"\\g<\1\2>", _text(new)), text)
        else:
            text = text.replace(_text(old), _text(new))
    return text


def slugify(value: Any) -> str:
    """Kestra's slug: ASCII, lower case, words joined by single dashes."""
    text = re.sub(r"\s+", "-", _text(value))
    text = unicodedata.normalize("NFD", text)
    text = _SLUG_DROP.sub("", text).lower()
    return re.sub(r"-{2,}", "-", text).strip("-")


def substring_before(value: Any, separator: str) -> str:
    """Text before the first separator, or all of it."""
    return _text(value).split(separator, 1)[0] if separator else ""


def substring_before_last(value: Any, separator: str) -> str:
    """Text before the last separator, or all of it."""
    text = _text(value)
    return text.rsplit(separator, 1)[0] if separator and separator in text else text


def substring_after(value: Any, separator: str) -> str:
    """Text after the first separator, or "" when it is absent."""
    text = _text(value)
    return text.split(separator, 1)[1] if separator in text else ""


def substring_after_last(value: Any, separator: str) -> str:
    """Text after the last separator, or "" when it is absent."""
    text = _text(value)
    return text.rsplit(separator, 1)[1] if separator and separator in text else ""


def _digest(name: str) -> Callable[[Any], str]:
    def digest(value: Any) -> str:
        return hashlib.new(name, _text(value).encode()).hexdigest()

    digest.__doc__ = f"Hex {name} digest of the UTF-8 text."
    return digest


@lru_cache(maxsize=256)
def _jq_program(expression: str) -> Any:
    # Imported here so that only the jq filter, not every template, needs the C extension.
    try:
        import jq  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - jq is a declared dependency
        raise TemplateError("the jq filter needs the 'jq' package installed") from exc
    return jq.compile(expression)


def jq_filter(value: Any, expression: str) -> list[Any]:
    """Apply a jq expression; like Kestra, always returns the list of results."""
    text = value if isinstance(value, str) else to_json(value)
    try:
        return list(_jq_program(expression).input_text(text).all())
    except ValueError as exc:
        raise TemplateError(f"jq expression '{expression}' failed on {text!r}: {exc}") from exc


def number(value: Any, type: str | None = None) -> Any:
    """Parse a number from a string; ``type`` forces INT/LONG/FLOAT/DOUBLE/BIGDECIMAL."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = _text(value).strip()
    if type in ("INT", "LONG", "BIGINTEGER"):
        return int(text)
    if type in ("FLOAT", "DOUBLE", "BIGDECIMAL"):
        return float(text)
    try:
        return int(text)
    except ValueError:
        return float(text)


def indent(value: Any, amount: int, prefix: str = " ") -> str:
    """Indent every line but the first by ``amount`` copies of ``prefix``."""
    pad = prefix * int(amount)
    return re.sub(r"\n(?=.)", "\n" + pad, _text(value))


def nindent(value: Any, amount: int, prefix: str = " ") -> str:
    """Start with a line break, then indent every line by ``amount`` copies of ``prefix``."""
    pad = prefix * int(amount)
    return "\n" + pad + indent(value, amount, prefix)


def escape_char(value: Any, type: str = "double") -> str:
    """Escape quotes for embedding in a single-, double-quoted or shell string."""
    text = _text(value)
    if type == "single":
        return text.replace("\\", "\\\\").replace("'", "\\'")
    if type == "shell":
        return text.replace("'", "'\\''")
    return text.replace("\\", "\\\\").replace('"', '\\"')


def slice_(value: Any, fromIndex: int = 0, toIndex: int | None = None) -> Any:  # noqa: N803
    """Pebble's ``slice(from, to)`` of a string or list."""
    return value[int(fromIndex) : None if toIndex is None else int(toIndex)]


def abbreviate(value: Any, length: int) -> str:
    """Cut text longer than ``length`` and end it with an ellipsis ("...")."""
    text, size = _text(value), int(length)
    return text if len(text) <= size else text[: max(size - 3, 0)] + "..."


def merge(value: Any, other: Any) -> Any:
    """Merge two maps or concatenate two lists."""
    if isinstance(value, Mapping):
        return {**value, **other}
    return [*value, *other]


def chunk(value: Any, size: int) -> list[list[Any]]:
    """Split a list into lists of ``size`` items."""
    items, size = list(value), int(size)
    return [items[i : i + size] for i in range(0, len(items), size)]


def flatten(value: Any) -> list[Any]:
    """Flatten one level of nested lists."""
    out: list[Any] = []
    for item in value:
        out.extend(item if isinstance(item, list | tuple) else [item])
    return out


def distinct(value: Any) -> list[Any]:
    """The items of a list without duplicates, in order."""
    out: list[Any] = []
    for item in value:
        if item not in out:
            out.append(item)
    return out


_FILTERS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "capitalize": capitalize,
    "title": title,
    "upper": lambda v: _text(v).upper(),
    "lower": lambda v: _text(v).lower(),
    "trim": lambda v: _text(v).strip(),
    "first": first,
    "last": last,
    "join": join,
    "length": length,
    "keys": lambda v: list(v.keys()),
    "values": lambda v: list(v.values()),
    "split": split,
    "replace": replace,
    "slugify": slugify,
    "startsWith": lambda v, prefix: _text(v).startswith(_text(prefix)),
    "endsWith": lambda v, suffix: _text(v).endswith(_text(suffix)),
    "substringBefore": substring_before,
    "substringBeforeLast": substring_before_last,
    "substringAfter": substring_after,
    "substringAfterLast": substring_after_last,
    "base64encode": lambda v: base64.b64encode(_text(v).encode()).decode(),
    "base64decode": lambda v: base64.b64decode(_text(v)).decode(),
    "urlencode": lambda v: quote_plus(_text(v)),
    "urldecode": lambda v: unquote_plus(_text(v)),
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "sha512": _digest("sha512"),
    "md5": _digest("md5"),
    "json": to_json,
    "toJson": to_json,
    "fromJson": from_json,
    "yaml": lambda v: yaml.safe_dump(v, sort_keys=False, allow_unicode=True),
    "jq": jq_filter,
    "number": number,
    "string": to_output,
    "raw": lambda v: v,
    **DATE_FILTERS,
    "indent": indent,
    "nindent": nindent,
    "escapeChar": escape_char,
    "slice": slice_,
    "sort": sorted,
    "rsort": lambda v: sorted(v, reverse=True),
    "reverse": lambda v: v[::-1] if isinstance(v, str) else list(reversed(list(v))),
    "merge": merge,
    "chunk": chunk,
    "flatten": flatten,
    "distinct": distinct,
    "abbreviate": abbreviate,
}


def filters() -> dict[str, Callable[..., Any]]:
    """Every filter by name; all but ``default`` pass undefined inputs through."""
    wrapped = {name: propagate_undefined(function) for name, function in _FILTERS.items()}
    return {**wrapped, "default": default}
