"""``io.kestra.plugin.serdes.json``: JSON to Ion rows (`JsonToIon`) and back (`IonToJson`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from plugins.serdes.base import Conversion, checked_charset, output_name
from plugins.serdes.errors import SerdesError
from plugins.serdes.ion import read_rows, write_rows
from plugins.serdes.jsonstream import JsonStreamError, json_array_items
from plugins.serdes.text import to_json

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class JsonToIon(Conversion):
    """Read JSON into Ion rows, streaming; output ``uri``.

    With ``newLine`` (the default) the source is JSON lines, one row a line; without, one
    JSON document: an array gives a row per element (read element by element), any other
    value one row.

    Example:
        ```yaml
        - id: to_ion
          type: io.kestra.plugin.serdes.json.JsonToIon
          from: "{{ outputs.api.uri }}"
          newLine: false
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.json.JsonToIon"

    charset: str = "UTF-8"
    """The JSON file's charset."""
    new_line: bool = True
    """Whether the source is JSON lines (else one JSON document)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the file.

        Raises:
            SerdesError: the source is not JSON in the charset.
        """
        uri = self.source(ctx)
        with self.open_text(ctx, uri, self.charset) as text, ctx.working_directory() as folder:
            rows = self._lines(ctx, uri, text) if self.new_line else json_array_items(text)

            def write(path: Path) -> int:
                with path.open("w", encoding="utf-8") as out:
                    return write_rows(rows, out, self.type_name)

            try:
                stored, count = self.store(ctx, output_name(uri, ".ion"), write, folder)
            except (UnicodeDecodeError, JsonStreamError) as exc:
                raise self.decoding_error(ctx, uri, exc) from exc
        ctx.logger.debug(f"{count} rows read from {uri}")
        return {"uri": stored}

    def _lines(self, ctx: RunContext, uri: str, text: IO[str]) -> Iterator[Any]:
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise SerdesError(
                    f"{self.where(ctx)}: {uri} line {number} is not JSON: {exc}"
                ) from exc


class IonToJson(Conversion):
    """Write Ion rows as JSON, streaming; output ``uri``.

    With ``newLine`` (the default) JSON lines, one row a line; without, one JSON array.
    Timestamps become ISO 8601 text, decimals numbers.

    Example:
        ```yaml
        - id: to_json
          type: io.kestra.plugin.serdes.json.IonToJson
          from: "{{ outputs.query.uri }}"
          newLine: false
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.json.IonToJson"

    charset: str = "UTF-8"
    """The JSON file's charset."""
    new_line: bool = True
    """Write JSON lines (else one JSON array)."""
    time_zone_id: str | None = None
    """Accepted for Kestra's flows; timestamps keep the zone they have."""
    should_keep_annotations: bool = False
    """Accepted for Kestra's flows; Ion annotations are not kept."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the file.

        Raises:
            SerdesError: a line of the source is not an Ion value.
        """
        uri = self.source(ctx)
        encoding = checked_charset(self.charset, self.where(ctx))
        with self.open_text(ctx, uri, "UTF-8") as text, ctx.working_directory() as folder:

            def write(path: Path) -> int:
                with path.open("w", encoding=encoding) as out:
                    return self._write(out, read_rows(text, uri, self.type_name))

            try:
                stored, _ = self.store(ctx, output_name(uri, ".json"), write, folder)
            except UnicodeError as exc:
                raise self.decoding_error(ctx, uri, exc) from exc
        return {"uri": stored}

    def _write(self, out: IO[str], rows: Iterator[Any]) -> int:
        count = 0
        if not self.new_line:
            out.write("[")
        for row in rows:
            if self.new_line:
                out.write(to_json(row) + "\n")
            else:
                out.write(("," if count else "") + to_json(row))
            count += 1
        if not self.new_line:
            out.write("]")
        return count


__all__ = ["IonToJson", "JsonToIon"]
