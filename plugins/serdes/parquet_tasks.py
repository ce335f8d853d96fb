"""``io.kestra.plugin.serdes.parquet``: Ion rows to Parquet and back, in row batches."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from plugins.extras import require
from plugins.serdes.arrow_schema import arrow_schema
from plugins.serdes.avro_tasks import TypedWriter
from plugins.serdes.base import Conversion, output_name
from plugins.serdes.errors import SerdesError
from plugins.serdes.ion import plain, read_rows, write_rows

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

BATCH_ROWS = 10_000
"""Rows held in memory at once: one batch, written as one or more row groups' part."""

_VERSIONS = {"V1": "1.0", "V2": "2.6"}


class IonToParquet(TypedWriter):
    """Write Ion rows as a Parquet file, a batch of rows at a time; output ``uri``.

    Columns follow ``schema`` (an Avro record schema, as in Kestra); without one, they are
    inferred from the first batch of rows.

    Example:
        ```yaml
        - id: to_parquet
          type: io.kestra.plugin.serdes.parquet.IonToParquet
          from: "{{ outputs.to_ion.uri }}"
          schema: |
            {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]}
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.parquet.IonToParquet"

    compression_codec: Literal["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD"] = (
        "GZIP"
    )
    """The compression of the column chunks."""
    parquet_version: Literal["V1", "V2"] = "V2"
    """The Parquet format version."""
    row_group_size: int | None = Field(default=None, ge=1)
    """Accepted for Kestra's flows (bytes there); row groups hold one batch of rows here."""
    page_size: int | None = Field(default=None, ge=1)
    """The data page size, in bytes."""
    dictionary_page_size: int | None = Field(default=None, ge=1)
    """The dictionary page size limit, in bytes."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the file.

        Raises:
            SerdesError: a bad schema, or a row that does not fit it.
        """
        pa = require("pyarrow", extra=self.extra, task_type=self.type_name)
        pq = require("pyarrow.parquet", extra=self.extra, task_type=self.type_name)
        schema = self.parsed_schema(ctx)
        try:
            columns = None if schema is None else arrow_schema(pa, schema)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise SerdesError(f"{self.where(ctx)}: schema has no Parquet form: {exc}") from exc
        uri = self.source(ctx)
        with self.open_text(ctx, uri, "UTF-8") as text, ctx.working_directory() as folder:
            rows: Iterator[Any] = read_rows(text, uri, self.type_name)
            if schema is not None:
                rows = self.typed_rows(ctx, rows, schema)

            def write(path: Path) -> int:
                return self._write(pa, pq, path, rows, columns)

            try:
                stored, count = self.store(ctx, output_name(uri, ".parquet"), write, folder)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise SerdesError(f"{self.where(ctx)}: rows do not fit the columns: {exc}") from exc
        ctx.logger.debug(f"{count} rows written to {stored}")
        return {"uri": stored}

    def _write(self, pa: Any, pq: Any, path: Path, rows: Iterator[Any], columns: Any) -> int:
        writer = None
        count = 0
        try:
            while batch := list(islice(rows, BATCH_ROWS)):
                table = pa.Table.from_pylist(batch, schema=columns)
                if writer is None:
                    columns = table.schema
                    writer = pq.ParquetWriter(
                        path,
                        columns,
                        compression=self.compression_codec.lower().replace("uncompressed", "none"),
                        version=_VERSIONS[self.parquet_version],
                        data_page_size=self.page_size,
                        dictionary_pagesize_limit=self.dictionary_page_size,
                    )
                writer.write_table(table)
                count += len(batch)
            if writer is None:  # no rows: a file with the columns and no row group
                pq.write_table(pa.Table.from_pylist([], schema=columns or pa.schema([])), path)
        finally:
            if writer is not None:
                writer.close()
        return count


class ParquetToIon(Conversion):
    """Read a Parquet file into Ion rows, a batch of rows at a time; output ``uri``.

    Example:
        ```yaml
        - id: to_ion
          type: io.kestra.plugin.serdes.parquet.ParquetToIon
          from: "{{ outputs.download.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.serdes.parquet.ParquetToIon"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Convert the file.

        Raises:
            SerdesError: the source is not a Parquet file.
        """
        pa = require("pyarrow", extra=self.extra, task_type=self.type_name)
        pq = require("pyarrow.parquet", extra=self.extra, task_type=self.type_name)
        uri = self.source(ctx)
        with ctx.working_directory() as folder, self.local_copy(ctx, uri, folder) as local:
            try:
                parquet = pq.ParquetFile(local)
            except (pa.ArrowInvalid, OSError) as exc:
                raise self.decoding_error(ctx, uri, exc) from exc

            def rows() -> Iterator[Any]:
                for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                    for row in batch.to_pylist():
                        yield plain(row)

            def write(path: Path) -> int:
                with path.open("w", encoding="utf-8") as out:
                    return write_rows(rows(), out, self.type_name)

            stored, count = self.store(ctx, output_name(uri, ".ion"), write, folder)
        ctx.logger.debug(f"{count} rows read from {uri}")
        return {"uri": stored}


__all__ = ["BATCH_ROWS", "IonToParquet", "ParquetToIon"]
