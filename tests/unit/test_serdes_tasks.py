"""The serdes conversions run in-process on a temporary storage: round trips and failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from plugin_context import run_task

from orchestrator.storage import LocalStorage
from plugins.serdes import SerdesError

S = "io.kestra.plugin.serdes."


def stored(tmp_path: Path, name: str, data: bytes) -> str:
    return LocalStorage(tmp_path / "storage").put(f"company/team/inputs/{name}", data)


def read(tmp_path: Path, uri: str) -> bytes:
    return LocalStorage(tmp_path / "storage").get(uri)


def rows(tmp_path: Path, uri: str) -> list[Any]:
    return [json.loads(line) for line in read(tmp_path, uri).decode().splitlines()]


def test_csv_to_ion_and_back_keeps_quoting_and_options(tmp_path: Path) -> None:
    source = stored(
        tmp_path,
        "products.csv",
        'skip me\nid;name;note\n1;"Apple; red";"say ""hi"""\n\n2;Pear;\n'.encode("latin-1"),
    )
    ion = run_task(
        {
            "type": S + "csv.CsvToIon",
            "from": source,
            "fieldSeparator": ";",
            "skipRows": 1,
            "skipEmptyRows": True,
            "charset": "ISO-8859-1",
        },
        tmp_path,
    )["uri"]
    assert ion.endswith("products.ion")
    assert rows(tmp_path, ion) == [
        {"id": "1", "name": "Apple; red", "note": 'say "hi"'},
        {"id": "2", "name": "Pear", "note": ""},
    ]
    csv = run_task({"type": S + "csv.IonToCsv", "from": ion}, tmp_path)["uri"]
    assert read(tmp_path, csv) == b'id,name,note\n1,Apple; red,"say ""hi"""\n2,Pear,\n'
    quoted = run_task(
        {
            "type": S + "csv.IonToCsv",
            "from": ion,
            "alwaysDelimitText": True,
            "header": False,
            "lineDelimiter": "\r\n",
        },
        tmp_path,
    )["uri"]
    assert read(tmp_path, quoted).startswith(b'"1","Apple; red"')
    assert b"\r\n" in read(tmp_path, quoted)


def test_csv_without_header_gives_lists_and_a_wrong_width_can_fail(tmp_path: Path) -> None:
    source = stored(tmp_path, "a.csv", b"a,b\n1,2,3\n")
    plain = run_task({"type": S + "csv.CsvToIon", "from": source, "header": False}, tmp_path)
    assert rows(tmp_path, plain["uri"]) == [["a", "b"], ["1", "2", "3"]]
    with pytest.raises(SerdesError, match=r"task 't' .*line 2 has 3 fields, the header 2"):
        run_task(
            {"type": S + "csv.CsvToIon", "from": source, "errorOnDifferentFieldCount": True},
            tmp_path,
        )


def test_json_lines_and_json_arrays_to_ion_and_back(tmp_path: Path) -> None:
    lines = stored(tmp_path, "a.jsonl", b'{"a": 1}\n\n{"a": [2, {"b": null}]}\n')
    ion = run_task({"type": S + "json.JsonToIon", "from": lines}, tmp_path)["uri"]
    assert rows(tmp_path, ion) == [{"a": 1}, {"a": [2, {"b": None}]}]
    array = stored(tmp_path, "b.json", b'[{"a": 1}, {"a": 2}]')
    ion2 = run_task({"type": S + "json.JsonToIon", "from": array, "newLine": False}, tmp_path)
    assert rows(tmp_path, ion2["uri"]) == [{"a": 1}, {"a": 2}]
    as_array = run_task({"type": S + "json.IonToJson", "from": ion, "newLine": False}, tmp_path)
    assert json.loads(read(tmp_path, as_array["uri"])) == [{"a": 1}, {"a": [2, {"b": None}]}]
    as_lines = run_task({"type": S + "json.IonToJson", "from": ion2["uri"]}, tmp_path)
    assert read(tmp_path, as_lines["uri"]) == b'{"a":1}\n{"a":2}\n'


def test_ion_timestamps_and_decimals_become_json_text_and_numbers(tmp_path: Path) -> None:
    ion = stored(tmp_path, "k.ion", b"{at:2024-01-01T10:00:00Z,n:1.50,s:sym}\n")
    out = run_task({"type": S + "json.IonToJson", "from": ion}, tmp_path)["uri"]
    assert json.loads(read(tmp_path, out)) == {
        "at": "2024-01-01T10:00:00+00:00",
        "n": 1.5,
        "s": "sym",
    }


def test_excel_round_trip_with_two_sheets(tmp_path: Path) -> None:
    first = stored(tmp_path, "p.ion", b'{"id":1,"name":"a","tags":["x"]}\n{"id":2,"name":"b"}\n')
    second = stored(tmp_path, "o.ion", b'{"total":2.5}\n')
    book = run_task(
        {"type": S + "excel.IonToExcel", "from": {"Products": first, "Orders": second}},
        tmp_path,
    )
    assert book["size"] == 3 and book["uri"].endswith(".xlsx")
    back = run_task({"type": S + "excel.ExcelToIon", "from": book["uri"]}, tmp_path)
    assert set(back["uris"]) == {"Products", "Orders"} and back["size"] == 3
    assert rows(tmp_path, back["uris"]["Products"]) == [
        {"id": 1, "name": "a", "tags": '["x"]'},
        {"id": 2, "name": "b", "tags": None},
    ]
    only = run_task(
        {
            "type": S + "excel.ExcelToIon",
            "from": book["uri"],
            "sheetsTitle": ["Orders"],
            "header": False,
        },
        tmp_path,
    )
    assert rows(tmp_path, only["uris"]["Orders"]) == [["total"], [2.5]]
    with pytest.raises(SerdesError, match="has no sheet Nope"):
        run_task(
            {"type": S + "excel.ExcelToIon", "from": book["uri"], "sheetsTitle": ["Nope"]},
            tmp_path,
        )


SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "total", "type": ["null", "double"]},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "paid", "type": "boolean"},
        ],
    }
)
CSV_ROWS = (
    b'{"id":"1","total":"9.5","day":"2024-03-01","paid":"true"}\n'
    b'{"id":"2","total":"","day":"2024-03-02","paid":"no"}\n'
)
TYPED = [
    {"id": 1, "total": 9.5, "day": "2024-03-01", "paid": True},
    {"id": 2, "total": None, "day": "2024-03-02", "paid": False},
]


@pytest.mark.parametrize(
    ("family", "writer", "reader"),
    [
        ("parquet", "IonToParquet", "ParquetToIon"),
        ("avro", "IonToAvro", "AvroToIon"),
    ],
)
def test_text_rows_typed_by_the_schema_round_trip(
    tmp_path: Path, family: str, writer: str, reader: str
) -> None:
    ion = stored(tmp_path, "orders.ion", CSV_ROWS)
    written = run_task({"type": f"{S}{family}.{writer}", "from": ion, "schema": SCHEMA}, tmp_path)[
        "uri"
    ]
    assert written.endswith(f".{family}")
    back = run_task({"type": f"{S}{family}.{reader}", "from": written}, tmp_path)["uri"]
    as_json = run_task({"type": S + "json.IonToJson", "from": back}, tmp_path)["uri"]
    assert rows(tmp_path, as_json) == TYPED


def test_parquet_without_a_schema_infers_the_columns(tmp_path: Path) -> None:
    ion = stored(tmp_path, "n.ion", b'{"a":1,"b":"x"}\n{"a":2,"b":null}\n')
    written = run_task(
        {
            "type": S + "parquet.IonToParquet",
            "from": ion,
            "compressionCodec": "ZSTD",
            "parquetVersion": "V1",
        },
        tmp_path,
    )
    back = run_task({"type": S + "parquet.ParquetToIon", "from": written["uri"]}, tmp_path)
    assert rows(tmp_path, back["uri"]) == [{"a": 1, "b": "x"}, {"a": 2, "b": None}]


@pytest.mark.parametrize("family", [("parquet", "IonToParquet"), ("avro", "IonToAvro")])
def test_a_row_that_does_not_fit_the_schema_names_the_row_and_field(
    tmp_path: Path, family: tuple[str, str]
) -> None:
    ion = stored(tmp_path, "bad.ion", CSV_ROWS + b'{"id":"three","day":"2024-01-01","paid":"t"}\n')
    with pytest.raises(SerdesError, match=r"task 't' .*row 3: id: 'three' is not a long"):
        run_task({"type": f"{S}{family[0]}.{family[1]}", "from": ion, "schema": SCHEMA}, tmp_path)


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"type": S + "avro.IonToAvro"}, "schema is required"),
        ({"type": S + "avro.IonToAvro", "schema": "{nope"}, "schema is not JSON"),
        ({"type": S + "avro.AvroToIon"}, "cannot read"),
        ({"type": S + "parquet.ParquetToIon"}, "cannot read"),
        ({"type": S + "excel.ExcelToIon"}, "cannot read"),
        ({"type": S + "json.JsonToIon"}, "line 1 is not JSON"),
        ({"type": S + "csv.CsvToIon", "charset": "NOPE-8"}, "unknown charset 'NOPE-8'"),
        ({"type": S + "csv.IonToCsv"}, "line 1 is not an Ion value"),
    ],
)
def test_a_source_in_another_format_fails_the_task_clearly(
    tmp_path: Path, definition: dict[str, Any], message: str
) -> None:
    junk = stored(tmp_path, "junk.bin", b"{not: [a file")
    with pytest.raises(SerdesError, match=message) as caught:
        run_task({"from": junk, **definition}, tmp_path)
    assert "task 't'" in str(caught.value) or "line 1" in str(caught.value)
    assert caught.value.retryable is False


def test_text_not_in_its_charset_fails_clearly(tmp_path: Path) -> None:
    latin = stored(tmp_path, "latin.csv", "name\nhé\n".encode("latin-1"))
    with pytest.raises(SerdesError, match="cannot read .*latin.csv: 'utf-8' codec can't decode"):
        run_task({"type": S + "csv.CsvToIon", "from": latin}, tmp_path)


def test_a_missing_file_or_a_non_storage_uri_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(SerdesError, match="no file is stored at kestrel://company/nothing.csv"):
        run_task({"type": S + "csv.CsvToIon", "from": "kestrel://company/nothing.csv"}, tmp_path)
    with pytest.raises(SerdesError, match="must be an internal storage URI"):
        run_task({"type": S + "csv.CsvToIon", "from": "/etc/passwd"}, tmp_path)


def test_separators_may_be_templates_and_quote_modes_follow_kestra(tmp_path: Path) -> None:
    source = stored(tmp_path, "t.tsv", b"a\tb\nx y\t1\n")
    ion = run_task(
        {"type": S + "csv.CsvToIon", "from": source, "fieldSeparator": "{{ sep }}"},
        tmp_path,
        sep="\t",
    )["uri"]
    assert rows(tmp_path, ion) == [{"a": "x y", "b": "1"}]
    numbers = stored(tmp_path, "n.ion", b'{"name":"x","n":1.5,"none":null}\n')
    out = run_task(
        {"type": S + "csv.IonToCsv", "from": numbers, "quoteMode": "NON_NUMERIC", "header": False},
        tmp_path,
    )["uri"]
    assert read(tmp_path, out) == b'"x",1.5,""\n'
    with pytest.raises(SerdesError, match="fieldSeparator must be one character, got ';;'"):
        run_task({"type": S + "csv.CsvToIon", "from": source, "fieldSeparator": ";;"}, tmp_path)
