"""Conversions stream: converting a file of a few MB never holds it whole in memory.

Peak Python memory (tracemalloc) while converting is compared with the file's size; a task
that read the file at once would peak above the size itself.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from plugin_context import run_task

from orchestrator.storage import LocalStorage
from plugins.serdes import parquet_tasks

S = "io.kestra.plugin.serdes."
ROWS = 15_000


def peak_of(definition: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], int]:
    tracemalloc.start()
    try:
        outputs = run_task(definition, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return outputs, peak


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    tmp_path = tmp_path_factory.mktemp("big")
    lines = ["id,name,comment,amount\n"]
    lines += [f'{n},name {n},"a comment, with a comma {n:08d}",{n * 1.5}\n' for n in range(ROWS)]
    data = "".join(lines).encode()
    uri = LocalStorage(tmp_path / "storage").put("company/big.csv", data)
    return tmp_path, uri, len(data)


def test_csv_to_ion_to_json_array_and_back_stream(big_csv: tuple[Path, str, int]) -> None:
    tmp_path, uri, size = big_csv
    assert size > 800_000
    # Import every module first: what is traced is the conversion, not the imports.
    small = LocalStorage(tmp_path / "storage").put("company/small.json", b'[{"a": 1}]')
    run_task({"type": S + "json.JsonToIon", "from": small, "newLine": False}, tmp_path)
    ion, peak = peak_of({"type": S + "csv.CsvToIon", "from": uri}, tmp_path)
    assert peak < size / 3, f"CsvToIon peaked at {peak} bytes for a {size}-byte file"
    array = run_task({"type": S + "json.IonToJson", "from": ion["uri"], "newLine": False}, tmp_path)
    back, peak = peak_of(
        {"type": S + "json.JsonToIon", "from": array["uri"], "newLine": False}, tmp_path
    )
    assert peak < size / 3, f"JsonToIon peaked at {peak} bytes for a {size}-byte file"
    csv = run_task({"type": S + "csv.IonToCsv", "from": back["uri"]}, tmp_path)
    assert LocalStorage(tmp_path / "storage").get(csv["uri"]).count(b"\n") == ROWS + 1


def test_parquet_is_written_a_batch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    monkeypatch.setattr(parquet_tasks, "BATCH_ROWS", 100)
    storage = LocalStorage(tmp_path / "storage")
    uri = storage.put("company/n.ion", b"".join(b'{"n":%d}\n' % n for n in range(1050)))
    written = run_task({"type": S + "parquet.IonToParquet", "from": uri}, tmp_path)["uri"]
    with storage.open(written) as stream:
        metadata = pq.ParquetFile(stream).metadata
    assert metadata.num_rows == 1050 and metadata.num_row_groups == 11
