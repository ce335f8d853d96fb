"""``io.kestra.plugin.serdes.excel``: Ion rows to an Excel workbook and back (xlsx).

openpyxl's write-only and read-only modes keep one row in memory at a time.
"""

from __future__ import annotations

import datetime
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from plugins.extras import require
from plugins.serdes.base import Conversion, output_name
from plugins.serdes.errors import SerdesError
from plugins.serdes.ion import read_rows, write_rows
from plugins.serdes.text import to_json

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


def _cell(value: Any) -> Any:
    """A value Excel holds: numbers, text, booleans and naive timestamps as they are."""
    if isinstance(value, dict | list):
        return to_json(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


class IonToExcel(Conversion):
    """Write Ion rows to an xlsx workbook, streaming; output ``uri`` and ``size`` (rows).

    ``from`` is one file (written to the sheet ``sheetsTitle``) or a map of sheet titles to
    files. The header is the first row's keys.

    Example:
        ```yaml
        - id: to_excel
          type: io.kestra.plugin.serdes.excel.IonToExcel
          from:
            Products: "{{ outputs.products.uri }}"
            Orders: "{{ outputs.orders.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.excel.IonToExcel"

    from_: str | dict[str, str] = Field(alias="from")  # type: ignore[assignment]
    """One source file, or a map of sheet titles to source files."""
    sheets_title: str = "Sheet"
    """The sheet's title when ``from`` is one file."""
    header: bool = True
    """Write the column names first."""
    charset: str = "UTF-8"
    """Accepted for Kestra's flows (xlsx files are always UTF-8)."""
    styles: bool = True
    """Accepted for Kestra's flows."""
    date_format: str | None = None
    """Accepted for Kestra's flows; dates are Excel dates."""
    time_format: str | None = None
    """Accepted for Kestra's flows."""
    date_time_format: str | None = None
    """Accepted for Kestra's flows; timestamps are Excel dates."""
    time_zone_id: str | None = None
    """Accepted for Kestra's flows; zoned timestamps are written in UTC."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Write the workbook.

        Raises:
            SerdesError: a source line is not an Ion value.
        """
        openpyxl = require("openpyxl", extra=self.extra, task_type=self.type_name)
        sheets = self._sheets(ctx)
        with ctx.working_directory() as folder:

            def write(path: Path) -> int:
                workbook = openpyxl.Workbook(write_only=True)
                count = 0
                for title, uri in sheets.items():
                    sheet = workbook.create_sheet(title=title)
                    with self.open_text(ctx, uri, "UTF-8") as text:
                        count += self._fill(sheet, read_rows(text, uri, self.type_name))
                workbook.save(path)
                return count

            first = next(iter(sheets.values()))
            stored, count = self.store(ctx, output_name(first, ".xlsx"), write, folder)
        return {"uri": stored, "size": count}

    def _sheets(self, ctx: RunContext) -> dict[str, str]:
        if isinstance(self.from_, dict):
            rendered = ctx.render(self.from_, "from")
            sheets = {str(title): str(uri) for title, uri in rendered.items()}
            for uri in sheets.values():
                self.checked_uri(ctx, uri)
            if not sheets:
                raise SerdesError(f"{self.where(ctx)}: from names no file")
            return sheets
        return {ctx.render_text(self.sheets_title, "sheetsTitle"): self.source(ctx)}

    def _fill(self, sheet: Any, rows: Iterator[Any]) -> int:
        names: list[str] | None = None
        count = 0
        for row in rows:
            if isinstance(row, dict):
                if names is None:
                    names = list(row)
                    if self.header:
                        sheet.append(names)
                sheet.append([_cell(row.get(name)) for name in names])
            else:
                sheet.append([_cell(value) for value in (row if isinstance(row, list) else [row])])
            count += 1
        return count


class ExcelToIon(Conversion):
    """Read the sheets of an xlsx workbook into Ion rows, streaming.

    Outputs ``uris`` (a file per sheet, by title) and ``size`` (rows in all).

    Example:
        ```yaml
        - id: to_ion
          type: io.kestra.plugin.serdes.excel.ExcelToIon
          from: "{{ outputs.download.uri }}"
          sheetsTitle: [Products]
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.excel.ExcelToIon"

    sheets_title: list[str] | None = None
    """The sheets to read (default: all)."""
    header: bool = True
    """Whether the first row holds the column names."""
    skip_empty_rows: bool = False
    """Drop rows whose cells are all empty."""
    skip_rows: int = Field(default=0, ge=0)
    """Rows skipped at the top of each sheet, before the header."""
    charset: str = "UTF-8"
    """Accepted for Kestra's flows (xlsx files are always UTF-8)."""
    date_time_render: Literal["UNFORMATTED_VALUE", "FORMATTED_STRING", "SERIAL_NUMBER"] = (
        "UNFORMATTED_VALUE"
    )
    """Accepted for Kestra's flows; dates are read as timestamps."""
    value_render: Literal["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"] = "UNFORMATTED_VALUE"
    """``FORMULA`` reads a formula's text; otherwise the value Excel last computed."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the workbook.

        Raises:
            SerdesError: the source is not an xlsx file, or a sheet asked for is missing.
        """
        openpyxl = require("openpyxl", extra=self.extra, task_type=self.type_name)
        InvalidFileException = openpyxl.utils.exceptions.InvalidFileException  # noqa: N806
        uri = self.source(ctx)
        uris: dict[str, str] = {}
        total = 0
        with ctx.working_directory() as folder, self.local_copy(ctx, uri, folder, ".xlsx") as local:
            try:
                workbook = openpyxl.load_workbook(
                    local, read_only=True, data_only=self.value_render != "FORMULA"
                )
            except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as exc:
                raise self.decoding_error(ctx, uri, exc) from exc
            try:
                titles = self.sheets_title or list(workbook.sheetnames)
                missing = [title for title in titles if title not in workbook.sheetnames]
                if missing:
                    raise SerdesError(
                        f"{self.where(ctx)}: {uri} has no sheet {', '.join(missing)} "
                        f"(sheets: {', '.join(workbook.sheetnames)})"
                    )
                for title in titles:
                    rows = self._rows(workbook[title])

                    def write(path: Path, rows: Iterator[Any] = rows) -> int:
                        with path.open("w", encoding="utf-8") as out:
                            return write_rows(rows, out, self.type_name)

                    uris[title], count = self.store(ctx, f"{title}.ion", write, folder)
                    total += count
            finally:
                workbook.close()
        return {"uris": uris, "size": total}

    def _rows(self, sheet: Any) -> Iterator[Any]:
        names: list[str] | None = None
        for index, cells in enumerate(sheet.iter_rows(values_only=True)):
            if index < self.skip_rows:
                continue
            values = list(cells)
            if self.skip_empty_rows and all(value in (None, "") for value in values):
                continue
            if self.header and names is None:
                names = ["" if value is None else str(value) for value in values]
                continue
            if names is None:
                yield values
            else:
                yield {
                    name: (values[i] if i < len(values) else None) for i, name in enumerate(names)
                }


__all__ = ["ExcelToIon", "IonToExcel"]
