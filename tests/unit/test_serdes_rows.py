"""Ion rows (read line by line, written as JSON when they can be) and the JSON array reader."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest

from plugins.serdes import jsonstream
from plugins.serdes.errors import SerdesError
from plugins.serdes.ion import dumps_row, read_rows
from plugins.serdes.schema import ConversionError, ValueOptions, conform

T = "io.kestra.plugin.serdes.test"


def test_ion_lines_as_kestra_writes_them_become_plain_values() -> None:
    lines = [
        "$ion_1_0\n",
        '{id:1,name:"a b",at:2024-01-01T10:00:00Z,price:1.50,gone:null,kind:sym,ok:true}\n',
        "\n",
        '{"id": 2, "tags": ["x"]}\n',
    ]
    rows = list(read_rows(lines, "kestrel://f.ion", T))
    assert rows[0] == {
        "id": 1,
        "name": "a b",
        "at": datetime.datetime(2024, 1, 1, 10, tzinfo=datetime.UTC),
        "price": Decimal("1.50"),
        "gone": None,
        "kind": "sym",
        "ok": True,
    }
    assert type(rows[0]["ok"]) is bool and type(rows[0]["kind"]) is str
    assert rows[1] == {"id": 2, "tags": ["x"]}


def test_a_line_that_is_not_ion_names_the_file_and_line() -> None:
    with pytest.raises(SerdesError, match=r"kestrel://f.ion line 2 is not an Ion value"):
        list(read_rows(['{"a": 1}\n', "{a:\n"], "kestrel://f.ion", T))


def test_rows_are_written_as_json_unless_they_hold_ion_only_values() -> None:
    assert dumps_row({"a": 1, "b": "é"}, T) == '{"a":1,"b":"é"}\n'
    line = dumps_row({"d": Decimal("1.50"), "day": datetime.date(2024, 1, 2)}, T)
    assert line == "{d:1.50,day:2024-01-02}\n"
    assert next(read_rows([line], "f", T)) == {
        "d": Decimal("1.50"),
        "day": datetime.date(2024, 1, 2),
    }


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64 * 1024])
def test_json_array_elements_are_read_across_any_chunk_boundary(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonstream, "_CHUNK", chunk)
    text = ' [1, 23456, {"a": [1, 2, "x,]"]}, "s" , 1.5e3, true, null] '
    items = list(jsonstream.json_array_items(io.StringIO(text)))
    assert items == [1, 23456, {"a": [1, 2, "x,]"]}, "s", 1500.0, True, None]


@pytest.mark.parametrize(
    ("text", "items"), [('{"a": 1}', [{"a": 1}]), ("[]", []), ("  ", []), ("7", [7])]
)
def test_a_document_that_is_not_an_array_is_one_row(text: str, items: list[object]) -> None:
    assert list(jsonstream.json_array_items(io.StringIO(text))) == items


@pytest.mark.parametrize("text", ["[1,2", "[1 2]", "{}{}", "[1,]x"])
def test_broken_json_documents_fail(text: str) -> None:
    with pytest.raises(jsonstream.JsonStreamError):
        list(jsonstream.json_array_items(io.StringIO(text)))


SCHEMA = {
    "type": "record",
    "name": "Row",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "price", "type": ["null", "double"]},
        {"name": "ok", "type": "boolean"},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {"name": "name", "type": "string"},
    ],
}


def test_text_fields_take_their_schema_types() -> None:
    row = {"id": "7", "price": "", "ok": "yes", "day": "2024-03-01", "amount": "1.5", "name": ""}
    assert conform(row, SCHEMA, ValueOptions(), "") == {
        "id": 7,
        "price": None,
        "ok": True,
        "day": datetime.date(2024, 3, 1),
        "amount": Decimal("1.50"),
        "name": "",
    }


@pytest.mark.parametrize(
    ("field", "value"), [("id", "1.5"), ("id", "x"), ("ok", "maybe"), ("day", "soon")]
)
def test_a_value_that_does_not_fit_names_its_field(field: str, value: str) -> None:
    row = {"id": "1", "price": "2", "ok": "t", "day": "2024-03-01", "amount": "1", "name": "n"}
    with pytest.raises(ConversionError, match=field):
        conform({**row, field: value}, SCHEMA, ValueOptions(), "")
