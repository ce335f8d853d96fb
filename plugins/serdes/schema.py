"""Rows shaped by an Avro schema (Kestra's ``schema`` of IonToAvro and IonToParquet).

Rows read from CSV hold text only: each field is converted to its schema type here, text
in ``nullValues`` becomes null, text in ``trueValues``/``falseValues`` a boolean.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

_NUMBERS = ("int", "long", "float", "double")


class ConversionError(ValueError):
    """A value does not fit its schema type."""


class ValueOptions(BaseModel):
    """How text is read as typed values (Kestra's defaults)."""

    true_values: list[str] = ["t", "true", "enabled", "1", "on", "yes"]
    false_values: list[str] = ["f", "false", "disabled", "0", "off", "no", ""]
    null_values: list[str] = [
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "1.#IND",
        "1.#QNAN",
        "NA",
        "n/a",
        "nan",
        "null",
    ]
    decimal_separator: str = "."


def conform(value: Any, schema: Any, options: ValueOptions, path: str) -> Any:
    """Convert ``value`` to what the Avro ``schema`` (parsed JSON) expects.

    Raises:
        ConversionError: the value cannot take the schema's type (the message names
            ``path``, the field).
    """
    if isinstance(schema, list):
        return _union(value, schema, options, path)
    kind = schema.get("type") if isinstance(schema, Mapping) else schema
    logical = schema.get("logicalType") if isinstance(schema, Mapping) else None
    if isinstance(kind, list | Mapping):
        return conform(value, kind, options, path)
    if kind == "null":
        if value is None or (isinstance(value, str) and value in options.null_values):
            return None
        raise ConversionError(f"{path}: {value!r} where the schema wants null")
    if value is None:
        raise ConversionError(f"{path}: null where the schema wants {kind}")
    if logical is not None:
        return _logical(value, str(logical), schema, options, path)
    return _typed(value, str(kind), schema, options, path)


def _union(value: Any, branches: list[Any], options: ValueOptions, path: str) -> Any:
    if "null" in branches and (
        value is None or (isinstance(value, str) and value in options.null_values)
    ):
        return None
    errors = []
    for branch in branches:
        if branch == "null":
            continue
        try:
            return conform(value, branch, options, path)
        except ConversionError as exc:
            errors.append(str(exc))
    raise ConversionError("; ".join(errors) or f"{path}: no type of the union fits")


def _typed(value: Any, kind: str, schema: Any, options: ValueOptions, path: str) -> Any:
    try:
        if kind in _NUMBERS:
            if isinstance(value, str):
                value = value.replace(options.decimal_separator, ".")
            if isinstance(value, bool):
                raise ValueError("a boolean is not a number")
            if kind in ("float", "double"):
                return float(value)
            number = Decimal(value)
            if number != number.to_integral_value():
                raise ValueError("not a whole number")
            return int(number)
        if kind == "boolean":
            return _boolean(value, options)
        if kind in ("string", "enum"):
            return value if isinstance(value, str) else _text(value)
        if kind in ("bytes", "fixed"):
            return value if isinstance(value, bytes) else str(value).encode()
        if kind == "record":
            return _record(value, schema, options, path)
        if kind == "array":
            return [conform(item, schema["items"], options, f"{path}[]") for item in value]
        if kind == "map":
            return {
                str(key): conform(item, schema["values"], options, f"{path}.{key}")
                for key, item in value.items()
            }
    except ConversionError:
        raise
    except (ValueError, TypeError, InvalidOperation, AttributeError, KeyError) as exc:
        raise ConversionError(f"{path}: {value!r} is not a {kind} ({exc})") from exc
    raise ConversionError(f"{path}: unsupported schema type {kind!r}")


def _record(value: Any, schema: Mapping[str, Any], options: ValueOptions, path: str) -> Any:
    if not isinstance(value, Mapping):
        raise TypeError("a record needs a map")
    return {
        field["name"]: conform(
            value.get(field["name"], field.get("default")),
            field["type"],
            options,
            f"{path}.{field['name']}" if path else field["name"],
        )
        for field in schema["fields"]
    }


def _boolean(value: Any, options: ValueOptions) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in (each.lower() for each in options.true_values):
        return True
    if text in (each.lower() for each in options.false_values):
        return False
    raise ValueError("not a boolean")


def _logical(
    value: Any, logical: str, schema: Mapping[str, Any], options: ValueOptions, path: str
) -> Any:
    try:
        if logical == "date":
            if isinstance(value, datetime.datetime):
                return value.date()
            return value if isinstance(value, datetime.date) else _date(str(value))
        if logical.startswith(("timestamp-", "local-timestamp-")):
            if isinstance(value, datetime.datetime):
                return value
            return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if logical.startswith("time-"):
            return value if isinstance(value, datetime.time) else datetime.time.fromisoformat(value)
        if logical == "decimal":
            scale = int(schema.get("scale", 0))
            number = Decimal(str(value).replace(options.decimal_separator, "."))
            return number.quantize(Decimal(1).scaleb(-scale))
        if logical == "uuid":
            return str(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise ConversionError(f"{path}: {value!r} is not a {logical} ({exc})") from exc
    return _typed(value, str(schema.get("type")), schema, options, path)


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text[:10])


def _text(value: Any) -> str:
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


__all__ = ["ConversionError", "ValueOptions", "conform"]
