from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from orchestrator.models import InputRef, InputValueError

INPUT: TypeAdapter[Any] = TypeAdapter(InputRef)


def parse(declaration: dict[str, Any], raw: Any) -> Any:
    return INPUT.validate_python({"id": "x", **declaration}).parse(raw)


@pytest.mark.parametrize(
    ("declaration", "raw", "expected"),
    [
        ({"type": "STRING"}, "hello", "hello"),
        ({"type": "STRING", "validator": "^[a-z]+$"}, "abc", "abc"),
        ({"type": "INT", "min": 1, "max": 10}, "5", 5),
        ({"type": "INT"}, 7, 7),
        ({"type": "FLOAT"}, "1.5", 1.5),
        ({"type": "BOOLEAN"}, "true", True),
        ({"type": "BOOLEAN"}, False, False),
        ({"type": "BOOL"}, "FALSE", False),
        ({"type": "DATETIME"}, "2024-01-02T03:04:05+02:00", "2024-01-02T01:04:05Z"),
        ({"type": "DATETIME"}, "2024-01-02T03:04:05", "2024-01-02T03:04:05Z"),
        ({"type": "DATE"}, "2024-02-29", "2024-02-29"),
        ({"type": "TIME"}, "13:45:00", "13:45:00"),
        ({"type": "DURATION", "max": "PT1H"}, "PT90S", "PT1M30S"),
        ({"type": "JSON"}, '{"a": [1, 2]}', {"a": [1, 2]}),
        ({"type": "JSON"}, {"a": 1}, {"a": 1}),
        ({"type": "YAML"}, "a: 1", {"a": 1}),
        ({"type": "URI"}, "https://example.com/x", "https://example.com/x"),
        ({"type": "FILE"}, "kestrel://ns/flow/file.csv", "kestrel://ns/flow/file.csv"),
        ({"type": "SECRET"}, "s3cr3t", "s3cr3t"),
        ({"type": "EMAIL"}, "ops@example.com", "ops@example.com"),
        ({"type": "ARRAY", "itemType": "INT"}, '[1, "2"]', [1, 2]),
        ({"type": "ENUM", "values": ["a", "b"]}, "b", "b"),
        ({"type": "SELECT", "values": ["a"], "allowCustomValue": True}, "z", "z"),
        ({"type": "MULTISELECT", "options": ["a", "b", "c"]}, '["a", "c"]', ["a", "c"]),
    ],
)
def test_values_are_coerced_to_their_type(
    declaration: dict[str, Any], raw: Any, expected: Any
) -> None:
    assert parse(declaration, raw) == expected


@pytest.mark.parametrize(
    ("declaration", "raw", "message"),
    [
        ({"type": "STRING", "validator": "^[a-z]+$"}, "ABC", "does not match"),
        ({"type": "INT", "min": 1}, "0", "lower than the minimum 1"),
        ({"type": "INT", "max": 3}, 4, "greater than the maximum 3"),
        ({"type": "INT"}, "1.5", "not an INT"),
        ({"type": "INT"}, True, "not a whole number"),
        ({"type": "FLOAT"}, "abc", "not a FLOAT"),
        ({"type": "BOOLEAN"}, "yes", "not true or false"),
        ({"type": "DATETIME", "after": "2024-01-01T00:00:00Z"}, "2023-01-01T00:00:00Z", "after"),
        ({"type": "DATE"}, "2024-02-30", "not a DATE"),
        ({"type": "DURATION", "min": "PT1M"}, "PT10S", "shorter than"),
        ({"type": "JSON"}, "{not json", "not JSON"),
        ({"type": "URI"}, "not a uri", "not an absolute URI"),
        ({"type": "FILE"}, "data.csv", "not a file URI"),
        ({"type": "EMAIL"}, "nobody", "not an e-mail"),
        ({"type": "ARRAY", "itemType": "INT"}, '["x"]', "not an INT"),
        ({"type": "ARRAY"}, "{}", "not a list"),
        ({"type": "ENUM", "values": ["a", "b"]}, "c", "not one of a, b"),
        ({"type": "MULTISELECT", "options": ["a"]}, ["b"], "not among a"),
    ],
)
def test_invalid_values_name_the_input(declaration: dict[str, Any], raw: Any, message: str) -> None:
    with pytest.raises(InputValueError, match=message) as info:
        parse(declaration, raw)
    assert info.value.input_id == "x"
    assert str(info.value).startswith("input 'x': ")


def test_old_name_property_is_the_id() -> None:
    declaration = INPUT.validate_python({"name": "legacy", "type": "INT"})
    assert declaration.id == "legacy"


def test_required_by_default_and_defaults_kept() -> None:
    declaration = INPUT.validate_python({"id": "x", "type": "STRING", "defaults": "d"})
    assert declaration.required is True and declaration.defaults == "d"


def test_unknown_input_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="STRIN"):
        INPUT.validate_python({"id": "x", "type": "STRIN"})


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("INT", "abc", "input 'x': 'abc' is not an INT (a whole number such as 42)"),
        ("FLOAT", "abc", "input 'x': 'abc' is not a FLOAT (a number such as 1.5)"),
        ("DATETIME", "abc", "input 'x': 'abc' is not a DATETIME (ISO 8601, such as"),
        ("DATE", "2024-13-01", "input 'x': '2024-13-01' is not a DATE (ISO 8601, such as"),
        ("TIME", "25:00", "input 'x': '25:00' is not a TIME (ISO 8601, such as"),
        ("DURATION", "abc", "input 'x': 'abc' is not a DURATION (ISO 8601, such as PT30S"),
        ("JSON", "{oops", "input 'x': '{oops' is not JSON (at line 1, column 2)"),
        ("ARRAY", "[1,", "input 'x': '[1,' is not an ARRAY (a JSON list such as"),
        ("YAML", "a: [", "input 'x': 'a: [' is not YAML"),
    ],
)
def test_type_errors_are_worded_for_the_user(kind: str, raw: str, expected: str) -> None:
    from pydantic import TypeAdapter

    from orchestrator.models.inputs import InputRef, InputValueError

    declared = TypeAdapter(InputRef).validate_python({"id": "x", "type": kind})
    with pytest.raises(InputValueError) as info:
        declared.parse(raw)
    message = str(info.value)
    assert message.startswith(expected), message
    for python_wording in ("invalid literal", "could not convert", "isoformat", "Expecting"):
        assert python_wording not in message
