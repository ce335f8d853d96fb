"""Serdes figures: rows/s and peak resident memory of the conversions on a large CSV file.

Generates a CSV file (``--rows``, about 100 bytes each), then runs CsvToIon, IonToCsv,
IonToJson (one array), JsonToIon (that array), IonToParquet and IonToAvro (with a schema
typing the text) in this process, each on the previous one's output, and prints for each
the time, rows/s and the growth of the process's peak resident set (ru_maxrss). A
conversion that held its file in memory would grow by about the file's size; streaming
ones grow by a constant. It asserts nothing.

    .venv/bin/python bench/serdes.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from plugin_context import run_task

from orchestrator.storage import LocalStorage

S = "io.kestra.plugin.serdes."
SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Row",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "name", "type": "string"},
            {"name": "comment", "type": "string"},
            {"name": "amount", "type": "double"},
        ],
    }
)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    work = Path(tempfile.mkdtemp(prefix="kestrel-bench-serdes-"))
    storage = LocalStorage(work / "storage")
    source = work / "big.csv"
    with source.open("w") as out:
        out.write("id,name,comment,amount\n")
        for n in range(rows):
            out.write(f'{n},name {n},"a comment, with a comma and some text {n:010d}",{n * 1.5}\n')
    with source.open("rb") as stream:
        uri = storage.put("bench/big.csv", stream)
    size_mb = source.stat().st_size / 1e6
    print(f"{rows} rows, CSV of {size_mb:.0f} MB")
    steps: list[tuple[str, dict[str, Any]]] = [
        ("CsvToIon", {"type": S + "csv.CsvToIon"}),
        ("IonToCsv", {"type": S + "csv.IonToCsv"}),
        ("IonToJson (array)", {"type": S + "json.IonToJson", "newLine": False}),
        ("JsonToIon (array)", {"type": S + "json.JsonToIon", "newLine": False}),
        ("IonToParquet", {"type": S + "parquet.IonToParquet", "schema": SCHEMA}),
        ("IonToAvro", {"type": S + "avro.IonToAvro", "schema": SCHEMA}),
    ]
    inputs = {"CsvToIon": uri}
    ion = None
    for name, definition in steps:
        source_uri = inputs.get(name) or (ion if name != "JsonToIon (array)" else inputs["json"])
        before = peak_mb()
        started = time.perf_counter()
        outputs = run_task({**definition, "from": source_uri}, work)
        elapsed = time.perf_counter() - started
        if name == "CsvToIon":
            ion = outputs["uri"]
        if name == "IonToJson (array)":
            inputs["json"] = outputs["uri"]
        if name == "JsonToIon (array)":
            ion = outputs["uri"]
        growth = peak_mb() - before
        print(
            f"{name:20s} {elapsed:7.1f} s {rows / elapsed:10.0f} rows/s "
            f"peak RSS +{growth:6.1f} MB (now {peak_mb():.0f} MB)"
        )


if __name__ == "__main__":
    main()
