"""An Arrow schema from an Avro record schema, for Parquet files."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

_PRIMITIVES = {
    "int": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "boolean": "bool_",
    "string": "string",
    "bytes": "binary",
    "enum": "string",
    "fixed": "binary",
}
_LOGICAL = {
    "date": ("date32", ()),
    "timestamp-millis": ("timestamp", ("ms", "UTC")),
    "timestamp-micros": ("timestamp", ("us", "UTC")),
    "local-timestamp-millis": ("timestamp", ("ms",)),
    "local-timestamp-micros": ("timestamp", ("us",)),
    "time-millis": ("time32", ("ms",)),
    "time-micros": ("time64", ("us",)),
    "uuid": ("string", ()),
}


def arrow_schema(pa: ModuleType, schema: Mapping[str, Any]) -> Any:
    """The ``pyarrow.Schema`` of rows of the Avro record ``schema``."""
    fields = []
    for field in schema["fields"]:
        kind, nullable = _arrow_type(pa, field["type"])
        fields.append(pa.field(field["name"], kind, nullable=nullable))
    return pa.schema(fields)


def _arrow_type(pa: ModuleType, schema: Any) -> tuple[Any, bool]:
    """The Arrow type of an Avro type and whether it admits null."""
    if isinstance(schema, list):
        branches = [branch for branch in schema if branch != "null"]
        if len(branches) != 1:
            raise ValueError(f"unions other than [null, type] have no Parquet type: {schema}")
        return _arrow_type(pa, branches[0])[0], "null" in schema
    if isinstance(schema, str):
        return getattr(pa, _PRIMITIVES[schema])(), False
    logical = schema.get("logicalType")
    if logical == "decimal":
        return pa.decimal128(int(schema["precision"]), int(schema.get("scale", 0))), False
    if logical in _LOGICAL:
        name, arguments = _LOGICAL[logical]
        return getattr(pa, name)(*arguments), False
    kind = schema["type"]
    if kind == "record":
        return pa.struct(list(arrow_schema(pa, schema))), False
    if kind == "array":
        return pa.list_(_arrow_type(pa, schema["items"])[0]), False
    if kind == "map":
        return pa.map_(pa.string(), _arrow_type(pa, schema["values"])[0]), False
    return _arrow_type(pa, kind)


__all__ = ["arrow_schema"]
