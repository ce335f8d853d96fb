"""Base class of every Kestrel model: immutable, camelCase on the wire, snake_case in Python."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class KestrelModel(BaseModel):
    """Immutable pydantic model whose JSON uses Kestra's camelCase field names.

    Python code reads ``execution.flow_id``; the wire and the YAML say ``flowId``. Unknown
    fields are refused, because Kestrel owns every producer of these models.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """Return the wire form: camelCase keys, JSON types, unset optionals left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
