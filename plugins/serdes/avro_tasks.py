"""``io.kestra.plugin.serdes.avro``: Ion rows to Avro (`IonToAvro`) and back (`AvroToIon`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from plugins.extras import require
from plugins.serdes.base import Conversion, output_name
from plugins.serdes.errors import SerdesError
from plugins.serdes.ion import read_rows, write_rows
from plugins.serdes.schema import ConversionError, ValueOptions, conform

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class TypedWriter(Conversion):
    """Options of the conversions that write typed rows after an Avro schema."""

    schema_: str | dict[str, Any] | None = Field(default=None, alias="schema")
    """The Avro schema of a row (JSON text or a map)."""
    true_values: list[str] = ValueOptions().true_values
    """Text read as true."""
    false_values: list[str] = ValueOptions().false_values
    """Text read as false."""
    null_values: list[str] = ValueOptions().null_values
    """Text read as null, where the schema allows null."""
    decimal_separator: str = "."
    """The decimal separator of numbers in text."""
    date_format: str | None = None
    """Accepted for Kestra's flows; dates are read in ISO 8601."""
    time_format: str | None = None
    """Accepted for Kestra's flows; times are read in ISO 8601."""
    datetime_format: str | None = None
    """Accepted for Kestra's flows; timestamps are read in ISO 8601."""
    time_zone_id: str | None = None
    """Accepted for Kestra's flows."""
    strict_schema: bool = False
    """Accepted for Kestra's flows; fields absent from the schema are always dropped."""
    infer_all_fields: bool = False
    """Accepted for Kestra's flows."""

    def parsed_schema(self, ctx: RunContext) -> dict[str, Any] | None:
        """The rendered schema as a JSON map (None if the task has none).

        Raises:
            SerdesError: the schema is not JSON, or not a record schema.
        """
        if self.schema_ is None:
            return None
        rendered = ctx.render(self.schema_, "schema")
        try:
            schema = json.loads(rendered) if isinstance(rendered, str) else rendered
        except json.JSONDecodeError as exc:
            raise SerdesError(f"{self.where(ctx)}: schema is not JSON: {exc}") from exc
        if not isinstance(schema, dict) or schema.get("type") != "record":
            raise SerdesError(f"{self.where(ctx)}: schema must be an Avro record schema")
        return schema

    def typed_rows(self, ctx: RunContext, rows: Iterator[Any], schema: dict[str, Any]) -> Any:
        """Yield each row converted to ``schema``.

        Raises:
            SerdesError: a row does not fit the schema (naming the row and the field).
        """
        options = ValueOptions(
            true_values=self.true_values,
            false_values=self.false_values,
            null_values=self.null_values,
            decimal_separator=self.decimal_separator,
        )
        for number, row in enumerate(rows, start=1):
            try:
                yield conform(row, schema, options, "")
            except ConversionError as exc:
                raise SerdesError(f"{self.where(ctx)}: row {number}: {exc}") from exc


class IonToAvro(TypedWriter):
    """Write Ion rows as an Avro file after ``schema``, streaming; output ``uri``.

    Example:
        ```yaml
        - id: to_avro
          type: io.kestra.plugin.serdes.avro.IonToAvro
          from: "{{ outputs.to_ion.uri }}"
          schema: |
            {"type": "record", "name": "Order", "fields": [
              {"name": "id", "type": "int"}, {"name": "total", "type": ["null", "double"]}]}
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.avro.IonToAvro"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the file.

        Raises:
            SerdesError: no schema, a bad schema, or a row that does not fit it.
        """
        fastavro = require("fastavro", extra=self.extra, task_type=self.type_name)
        schema = self.parsed_schema(ctx)
        if schema is None:
            raise SerdesError(f"{self.where(ctx)}: schema is required")
        try:
            parsed = fastavro.parse_schema(schema)
        except Exception as exc:  # fastavro raises SchemaParseException and plain errors
            raise SerdesError(
                f"{self.where(ctx)}: schema is not a valid Avro schema: {exc}"
            ) from exc
        uri = self.source(ctx)
        with self.open_text(ctx, uri, "UTF-8") as text, ctx.working_directory() as folder:
            rows = self.typed_rows(ctx, read_rows(text, uri, self.type_name), schema)

            def write(path: Path) -> None:
                with path.open("wb") as out:
                    fastavro.writer(out, parsed, rows)

            stored, _ = self.store(ctx, output_name(uri, ".avro"), write, folder)
        return {"uri": stored}


class AvroToIon(Conversion):
    """Read an Avro file into Ion rows, streaming; output ``uri``.

    Example:
        ```yaml
        - id: to_ion
          type: io.kestra.plugin.serdes.avro.AvroToIon
          from: "{{ outputs.download.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.avro.AvroToIon"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the file.

        Raises:
            SerdesError: the source is not an Avro file.
        """
        fastavro = require("fastavro", extra=self.extra, task_type=self.type_name)
        uri = self.source(ctx)
        with self.open_binary(ctx, uri) as raw, ctx.working_directory() as folder:

            def write(path: Path) -> int:
                with path.open("w", encoding="utf-8") as out:
                    return write_rows(fastavro.reader(raw), out, self.type_name)

            try:
                stored, count = self.store(ctx, output_name(uri, ".ion"), write, folder)
            except (ValueError, EOFError, OSError) as exc:
                raise self.decoding_error(ctx, uri, exc) from exc
        ctx.logger.debug(f"{count} rows read from {uri}")
        return {"uri": stored}


__all__ = ["AvroToIon", "IonToAvro", "TypedWriter"]
