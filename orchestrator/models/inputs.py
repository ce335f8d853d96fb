"""Typed flow inputs: declaration, defaults, and coercion of the values users pass.

``Input.parse`` turns a raw value (from the CLI, the API or a trigger: often a string) into
the typed value stored on the execution, in its JSON form: numbers stay numbers, dates and
durations become ISO-8601 strings, JSON becomes objects.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal

import yaml
from pydantic import AliasChoices, Field, TypeAdapter, model_validator

from orchestrator.errors import OrchestratorError
from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration, format_duration, parse_duration

INPUT_ID_PATTERN = r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InputValueError(OrchestratorError, ValueError):
    """A value given for an input does not fit the input's type or constraints."""

    def __init__(self, input_id: str, message: str) -> None:
        super().__init__(f"input '{input_id}': {message}")
        self.input_id = input_id


class InputType(StrEnum):
    """Every input type a flow may declare."""

    STRING = "STRING"
    INT = "INT"
    FLOAT = "FLOAT"
    BOOLEAN = "BOOLEAN"
    BOOL = "BOOL"
    DATETIME = "DATETIME"
    DATE = "DATE"
    TIME = "TIME"
    DURATION = "DURATION"
    JSON = "JSON"
    YAML = "YAML"
    URI = "URI"
    FILE = "FILE"
    SECRET = "SECRET"
    EMAIL = "EMAIL"
    ARRAY = "ARRAY"
    ENUM = "ENUM"
    SELECT = "SELECT"
    MULTISELECT = "MULTISELECT"


class DependsOn(KestrelModel):
    """Kestra's ``dependsOn`` of an input: other inputs and a condition on them."""

    inputs: list[str] = Field(default_factory=list)
    """The ids of the inputs this one depends on."""
    condition: str | None = None
    """A template on ``inputs`` that says whether this input applies."""


class _Input(KestrelModel):
    id: str = Field(pattern=INPUT_ID_PATTERN)
    type: str
    description: str | None = None
    display_name: str | None = None
    required: bool = True
    defaults: Any = None
    prefill: Any = None
    """A value proposed in forms; unlike ``defaults``, nothing is used when none is given."""
    depends_on: DependsOn | None = None
    """The inputs this one depends on: forms show it only when ``condition`` holds, so it
    is never enforced as required."""

    @model_validator(mode="before")
    @classmethod
    def _name_is_old_id(cls, data: Any) -> Any:
        # Kestra flows before 0.15 named inputs with `name`; it is the same thing as `id`.
        if isinstance(data, dict) and "name" in data and "id" not in data:
            data = {("id" if key == "name" else key): value for key, value in data.items()}
        return data

    def parse(self, raw: Any) -> Any:
        """Coerce ``raw`` to this input's type and check its constraints.

        Raises:
            InputValueError: the value does not fit.
        """
        try:
            return self._parse(raw)
        except InputValueError:
            raise
        except (ValueError, TypeError, yaml.YAMLError) as exc:
            # Python's wording ("invalid literal for int() with base 10") is not the user's.
            raise InputValueError(self.id, f"{raw!r} is not {_expected(self.type, exc)}") from exc

    def _parse(self, raw: Any) -> Any:
        raise NotImplementedError

    def _fail(self, message: str) -> InputValueError:
        return InputValueError(self.id, message)


_EXPECTED = {
    "INT": "an INT (a whole number such as 42)",
    "FLOAT": "a FLOAT (a number such as 1.5)",
    "DATETIME": "a DATETIME (ISO 8601, such as 2024-01-31T12:00:00Z)",
    "DATE": "a DATE (ISO 8601, such as 2024-01-31)",
    "TIME": "a TIME (ISO 8601, such as 12:30:00)",
    "DURATION": "a DURATION (ISO 8601, such as PT30S or P1D)",
    "ARRAY": 'an ARRAY (a JSON list such as ["a", "b"])',
    "YAML": "YAML",
}


def _expected(kind: str, error: Exception) -> str:
    """Name what an input of type ``kind`` expects, for a value that failed to convert."""
    if isinstance(error, json.JSONDecodeError) and kind == "JSON":
        return f"JSON (at line {error.lineno}, column {error.colno})"
    return _EXPECTED.get(kind, f"a valid {kind}")


class StringInput(_Input):
    """Free text, optionally matched against a ``validator`` regular expression."""

    type: Literal["STRING"] = "STRING"
    validator: str | None = None

    def _parse(self, raw: Any) -> Any:
        text = raw if isinstance(raw, str) else json.dumps(raw) if raw is not None else ""
        if self.validator and not re.fullmatch(self.validator, text):
            raise self._fail(f"{text!r} does not match the pattern {self.validator!r}")
        return text


class SecretInput(StringInput):
    """A secret string: masked in logs, never written in clear to topics or indices."""

    type: Literal["SECRET"] = "SECRET"  # type: ignore[assignment]


class EmailInput(_Input):
    """An e-mail address."""

    type: Literal["EMAIL"] = "EMAIL"

    def _parse(self, raw: Any) -> Any:
        if not isinstance(raw, str) or not _EMAIL.match(raw):
            raise self._fail(f"{raw!r} is not an e-mail address")
        return raw


def _number_bounds(input_: IntInput | FloatInput, value: float) -> None:
    if input_.min is not None and value < input_.min:
        raise input_._fail(f"{value} is lower than the minimum {input_.min}")
    if input_.max is not None and value > input_.max:
        raise input_._fail(f"{value} is greater than the maximum {input_.max}")


class IntInput(_Input):
    """A whole number within optional ``min`` / ``max``."""

    type: Literal["INT"] = "INT"
    min: int | None = None
    max: int | None = None

    def _parse(self, raw: Any) -> Any:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise self._fail(f"{raw!r} is not a whole number")
        value = int(raw.strip()) if isinstance(raw, str) else int(raw)
        _number_bounds(self, value)
        return value


class FloatInput(_Input):
    """A decimal number within optional ``min`` / ``max``."""

    type: Literal["FLOAT"] = "FLOAT"
    min: float | None = None
    max: float | None = None

    def _parse(self, raw: Any) -> Any:
        if isinstance(raw, bool):
            raise self._fail(f"{raw!r} is not a number")
        value = float(raw)
        _number_bounds(self, value)
        return value


class BooleanInput(_Input):
    """True or false (also the strings ``true`` / ``false``)."""

    type: Literal["BOOLEAN", "BOOL"] = "BOOLEAN"

    def _parse(self, raw: Any) -> Any:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise self._fail(f"{raw!r} is not true or false")


class _TemporalInput(_Input):
    after: str | None = None
    before: str | None = None

    def _check_range(self, value: Any, parse: Any) -> None:
        if self.after is not None and value <= parse(self.after):
            raise self._fail(f"{value} is not after {self.after}")
        if self.before is not None and value >= parse(self.before):
            raise self._fail(f"{value} is not before {self.before}")


def _parse_datetime(raw: Any) -> datetime:
    value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class DateTimeInput(_TemporalInput):
    """An instant (ISO-8601; without a zone it is UTC), stored as ISO-8601 in UTC."""

    type: Literal["DATETIME"] = "DATETIME"

    def _parse(self, raw: Any) -> Any:
        value = _parse_datetime(raw)
        self._check_range(value, _parse_datetime)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class DateInput(_TemporalInput):
    """A calendar date (``2024-12-31``)."""

    type: Literal["DATE"] = "DATE"

    def _parse(self, raw: Any) -> Any:
        value = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        self._check_range(value, date.fromisoformat)
        return value.isoformat()


class TimeInput(_TemporalInput):
    """A time of day (``13:45:00``)."""

    type: Literal["TIME"] = "TIME"

    def _parse(self, raw: Any) -> Any:
        value = raw if isinstance(raw, time) else time.fromisoformat(str(raw))
        self._check_range(value, time.fromisoformat)
        return value.isoformat()


class DurationInput(_Input):
    """An ISO-8601 duration within optional ``min`` / ``max``."""

    type: Literal["DURATION"] = "DURATION"
    min: Duration | None = None
    max: Duration | None = None

    def _parse(self, raw: Any) -> Any:
        value = parse_duration(raw)
        if self.min is not None and value < self.min:
            raise self._fail(
                f"{format_duration(value)} is shorter than {format_duration(self.min)}"
            )
        if self.max is not None and value > self.max:
            raise self._fail(f"{format_duration(value)} is longer than {format_duration(self.max)}")
        return format_duration(value)


class JsonInput(_Input):
    """A JSON document (a string is parsed; objects and lists are taken as they are)."""

    type: Literal["JSON"] = "JSON"

    def _parse(self, raw: Any) -> Any:
        return json.loads(raw) if isinstance(raw, str) else raw


class YamlInput(_Input):
    """A YAML document (a string is parsed)."""

    type: Literal["YAML"] = "YAML"

    def _parse(self, raw: Any) -> Any:
        return yaml.safe_load(raw) if isinstance(raw, str) else raw


class UriInput(_Input):
    """An absolute URI (``https://...``, ``s3://...``)."""

    type: Literal["URI"] = "URI"

    def _parse(self, raw: Any) -> Any:
        parsed = urllib.parse.urlparse(str(raw))
        if not parsed.scheme or not (parsed.netloc or parsed.path):
            raise self._fail(f"{raw!r} is not an absolute URI")
        return str(raw)


class FileInput(_Input):
    """A file, referenced by its internal-storage URI (``kestrel://...``) once uploaded."""

    type: Literal["FILE"] = "FILE"
    extension: str | None = None

    def _parse(self, raw: Any) -> Any:
        text = str(raw)
        if "://" not in text:
            raise self._fail(f"{raw!r} is not a file URI such as kestrel://... or file:///...")
        if self.extension and not text.endswith(self.extension):
            raise self._fail(f"{raw!r} does not end with {self.extension}")
        return text


class ArrayInput(_Input):
    """A list whose items are coerced to ``itemType``."""

    type: Literal["ARRAY"] = "ARRAY"
    item_type: InputType = InputType.STRING

    def _parse(self, raw: Any) -> Any:
        items = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(items, list):
            raise self._fail(f"{raw!r} is not a list")
        item_input = _INPUT_ADAPTER.validate_python({"id": self.id, "type": self.item_type.value})
        return [item_input.parse(item) for item in items]


class _Choice(_Input):
    """Inputs chosen among ``values``, or among what ``expression`` renders to (in forms)."""

    values: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("values", "options")
    )
    expression: str | None = None
    """A template rendering the values (such as ``{{ kv('choices') }}``); any value is then
    accepted, as the list is only known when the form renders it."""
    allow_custom_value: bool = False

    @model_validator(mode="after")
    def _values_or_expression(self) -> Any:
        if not self.values and self.expression is None:
            raise ValueError("give values (a non-empty list) or an expression")
        return self

    def _allowed(self, text: str) -> bool:
        return text in self.values or self.allow_custom_value or not self.values


class EnumInput(_Choice):
    """One of ``values`` (``SELECT`` may allow custom values)."""

    type: Literal["ENUM", "SELECT"] = "ENUM"

    def _parse(self, raw: Any) -> Any:
        text = str(raw)
        if not self._allowed(text):
            raise self._fail(f"{text!r} is not one of {', '.join(self.values)}")
        return text


class MultiSelectInput(_Choice):
    """Several of ``values`` (a list, or a JSON list in a string; ``options`` is the old name)."""

    type: Literal["MULTISELECT"] = "MULTISELECT"

    def _parse(self, raw: Any) -> Any:
        chosen = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(chosen, list):
            raise self._fail(f"{raw!r} is not a list")
        unknown = [str(item) for item in chosen if not self._allowed(str(item))]
        if unknown:
            raise self._fail(f"{', '.join(unknown)} not among {', '.join(self.values)}")
        return [str(item) for item in chosen]


Input = (
    StringInput
    | SecretInput
    | EmailInput
    | IntInput
    | FloatInput
    | BooleanInput
    | DateTimeInput
    | DateInput
    | TimeInput
    | DurationInput
    | JsonInput
    | YamlInput
    | UriInput
    | FileInput
    | ArrayInput
    | EnumInput
    | MultiSelectInput
)
"""Any input declaration."""

InputRef = Annotated[Input, Field(discriminator="type")]
"""An input declaration, chosen by its ``type``."""


_INPUT_ADAPTER: TypeAdapter[Input] = TypeAdapter(InputRef)
