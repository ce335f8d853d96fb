"""``io.kestra.plugin.serdes.csv``: CSV to Ion rows (`CsvToIon`) and back (`IonToCsv`)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
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
    field_separator: str = ","
    """The field separator character (a template may give it)."""
    text_delimiter: str = '"'
    """The character quoting a field."""
    header: bool = True
    """Whether the first line holds the column names."""
    charset: str = "UTF-8"
    """The CSV file's charset."""

    def character(self, ctx: RunContext, value: str, name: str) -> str:
        """A rendered one-character property (backslash-t or ``TAB`` is a tab).

        Raises:
            SerdesError: it is not one character.
        """
        text = ctx.render_text(value, name)
        text = {"\\t": "\t", "TAB": "\t"}.get(text, text)
        if len(text) != 1:
            raise SerdesError(f"{self.where(ctx)}: {name} must be one character, got {text!r}")
        return text

    def dialect(self, ctx: RunContext) -> tuple[str, str]:
        """The rendered separator and quote characters."""
        return (
            self.character(ctx, self.field_separator, "fieldSeparator"),
            self.character(ctx, self.text_delimiter, "textDelimiter"),
        )


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
        separator, quote = self.dialect(ctx)
        reader = csv.reader(text, delimiter=separator, quotechar=quote)
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


# ALL_NON_NULL has no csv constant before Python 3.12: every field is quoted.
_QUOTING: dict[str, Literal[0, 1, 2, 3]] = {
    "ALL": csv.QUOTE_ALL,
    "ALL_NON_NULL": csv.QUOTE_ALL,
    "MINIMAL": csv.QUOTE_MINIMAL,
    "NON_NUMERIC": csv.QUOTE_NONNUMERIC,
    "NONE": csv.QUOTE_NONE,
}


def _number_or_text(value: Any) -> Any:
    """Numbers stay numbers, so QUOTE_NONNUMERIC leaves them unquoted."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return as_text(value)


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
    """Quote every field, not only those that need it (``quoteMode: ALL``)."""
    quote_mode: Literal["ALL", "ALL_NON_NULL", "MINIMAL", "NON_NUMERIC", "NONE"] | None = None
    """Which fields are quoted (default MINIMAL: those that need it)."""
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
        mode = self.quote_mode or ("ALL" if self.always_delimit_text else "MINIMAL")
        separator, quote = self.dialect(ctx)
        with self.open_text(ctx, uri, "UTF-8") as text, ctx.working_directory() as folder:

            def write(path: Path) -> None:
                with path.open("w", encoding=encoding, newline="") as out:
                    writer = csv.writer(
                        out,
                        delimiter=separator,
                        quotechar=quote,
                        lineterminator=self.line_delimiter,
                        quoting=_QUOTING[mode],
                        escapechar="\\" if mode == "NONE" else None,
                    )
                    field = _number_or_text if mode == "NON_NUMERIC" else as_text
                    self._write(writer, read_rows(text, uri, self.type_name), field)

            try:
                stored, _ = self.store(ctx, output_name(uri, ".csv"), write, folder)
            except UnicodeError as exc:
                raise self.decoding_error(ctx, uri, exc) from exc
        return {"uri": stored}

    def _write(self, writer: Any, rows: Iterator[Any], field: Callable[[Any], Any]) -> None:
        names: list[str] | None = None
        for row in rows:
            if isinstance(row, dict):
                if names is None:
                    names = list(row)
                    if self.header:
                        writer.writerow(names)
                writer.writerow([field(row.get(name)) for name in names])
            elif isinstance(row, list):
                writer.writerow([field(value) for value in row])
            else:
                writer.writerow([field(row)])


__all__ = ["CsvToIon", "IonToCsv"]
