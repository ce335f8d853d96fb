"""``io.kestra.plugin.serdes.csv``: CSV to Ion rows (`CsvToIon`) and back (`IonToCsv`)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from plugins.serdes.base import Conversion, checked_charset, output_name
from plugins.serdes.errors import SerdesError
from plugins.serdes.ion import read_rows, write_rows
from plugins.serdes.text import as_text

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class _CsvOptions(Conversion):
    field_separator: str = Field(default=",", min_length=1, max_length=1)
    """The field separator character."""
    text_delimiter: str = Field(default='"', min_length=1, max_length=1)
    """The character quoting a field."""
    header: bool = True
    """Whether the first line holds the column names."""
    charset: str = "UTF-8"
    """The CSV file's charset."""


class CsvToIon(_CsvOptions):
    """Read a CSV file into Ion rows, streaming; output ``uri``.

    With ``header`` each row is a map of the header's names to the fields (text); without,
    a list of the fields.

    Example:
        ```yaml
        - id: to_ion
          type: io.kestra.plugin.serdes.csv.CsvToIon
          from: "{{ outputs.download.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.csv.CsvToIon"

    skip_rows: int = Field(default=0, ge=0)
    """Lines skipped at the start of the file, before the header."""
    skip_empty_rows: bool = False
    """Drop rows whose fields are all empty."""
    error_on_different_field_count: bool = False
    """Fail on a row with another number of fields than the header."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the file.

        Raises:
            SerdesError: the file is not CSV in the charset, or a row has the wrong width.
        """
        uri = self.source(ctx)
        with self.open_text(ctx, uri, self.charset) as text, ctx.working_directory() as folder:

            def write(path: Path) -> int:
                with path.open("w", encoding="utf-8") as out:
                    return write_rows(self._rows(ctx, uri, text), out, self.type_name)

            try:
                stored, count = self.store(ctx, output_name(uri, ".ion"), write, folder)
            except (UnicodeDecodeError, csv.Error) as exc:
                raise self.decoding_error(ctx, uri, exc) from exc
        ctx.logger.debug(f"{count} rows read from {uri}")
        return {"uri": stored}

    def _rows(self, ctx: RunContext, uri: str, text: Any) -> Iterator[Any]:
        for _ in range(self.skip_rows):
            if not text.readline():
                return
        reader = csv.reader(text, delimiter=self.field_separator, quotechar=self.text_delimiter)
        names: list[str] | None = None
        for fields in reader:
            if self.skip_empty_rows and not any(fields):
                continue
            if self.header and names is None:
                names = fields
                continue
            if names is None:
                yield fields
                continue
            if len(fields) != len(names) and self.error_on_different_field_count:
                raise SerdesError(
                    f"{self.where(ctx)}: {uri} line {reader.line_num} has {len(fields)} "
                    f"fields, the header {len(names)}"
                )
            yield {name: (fields[i] if i < len(fields) else None) for i, name in enumerate(names)}


class IonToCsv(_CsvOptions):
    """Write Ion rows as CSV, streaming; output ``uri``.

    The header is the first row's keys; dates and times are written in ISO 8601, maps and
    lists as JSON.

    Example:
        ```yaml
        - id: to_csv
          type: io.kestra.plugin.serdes.csv.IonToCsv
          from: "{{ outputs.query.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.csv.IonToCsv"

    line_delimiter: str = "\n"
    """Written at the end of each row."""
    always_delimit_text: bool = False
    """Quote every field, not only those that need it."""
    date_format: str | None = None
    """Accepted for Kestra's flows; dates are written in ISO 8601."""
    time_format: str | None = None
    """Accepted for Kestra's flows; times are written in ISO 8601."""
    date_time_format: str | None = None
    """Accepted for Kestra's flows; timestamps are written in ISO 8601."""
    time_zone_id: str | None = None
    """Accepted for Kestra's flows."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the file.

        Raises:
            SerdesError: a line of the source is not an Ion value.
        """
        uri = self.source(ctx)
        encoding = checked_charset(self.charset, self.where(ctx))
        quoting: Literal[0, 1] = csv.QUOTE_ALL if self.always_delimit_text else csv.QUOTE_MINIMAL
        with self.open_text(ctx, uri, "UTF-8") as text, ctx.working_directory() as folder:

            def write(path: Path) -> None:
                with path.open("w", encoding=encoding, newline="") as out:
                    writer = csv.writer(
                        out,
                        delimiter=self.field_separator,
                        quotechar=self.text_delimiter,
                        lineterminator=self.line_delimiter,
                        quoting=quoting,
                    )
                    self._write(writer, read_rows(text, uri, self.type_name))

            try:
                stored, _ = self.store(ctx, output_name(uri, ".csv"), write, folder)
            except UnicodeError as exc:
                raise self.decoding_error(ctx, uri, exc) from exc
        return {"uri": stored}

    def _write(self, writer: Any, rows: Iterator[Any]) -> None:
        names: list[str] | None = None
        for row in rows:
            if isinstance(row, dict):
                if names is None:
                    names = list(row)
                    if self.header:
                        writer.writerow(names)
                writer.writerow([as_text(row.get(name)) for name in names])
            elif isinstance(row, list):
                writer.writerow([as_text(value) for value in row])
            else:
                writer.writerow([as_text(row)])


__all__ = ["CsvToIon", "IonToCsv"]
