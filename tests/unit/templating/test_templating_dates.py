"""Date filters with Java patterns, named formats, zones and ChronoUnits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from orchestrator.templating import TemplateError, TemplateRenderer

RENDERER = TemplateRenderer()
INSTANT = "2024-03-05T07:08:09.123456Z"


def render(template: str, **context: Any) -> str:
    return RENDERER.render(template, {"d": INSTANT, **context})


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy-MM-dd", "2024-03-05"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-03-05T07:08:09.123Z"),
        ("yy/M/d H:m:s", "24/3/5 7:8:9"),
        ("dd MMM yyyy", "05 Mar 2024"),
        ("EEEE d MMMM", "Tuesday 5 March"),
        ("EEE", "Tue"),
        ("hh:mm a", "07:08 AM"),
        ("SSSSSSSSS", "123456000"),
        ("'quoted ''text''' yyyy", "quoted 'text' 2024"),
        ("''", "'"),
        ("D", "65"),
        ("Q", "1"),
        ("xx", "+0000"),
        ("Z", "+0000"),
        ("VV", "Z"),
        ("[yyyy]", "2024"),
    ],
)
def test_java_patterns(pattern: str, expected: str) -> None:
    assert render("{{ d | date(p) }}", p=pattern) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("iso", "2024-03-05T07:08:09.123456Z"),
        ("iso_sec", "2024-03-05T07:08:09Z"),
        ("sql", "2024-03-05 07:08:09.123456"),
        ("sql_seq", "2024-03-05 07:08:09"),
        ("iso_local_date", "2024-03-05"),
        ("iso_date", "2024-03-05Z"),
        ("iso_local_time", "07:08:09.123456"),
        ("iso_local_date_time", "2024-03-05T07:08:09.123456"),
        ("iso_offset_date_time", "2024-03-05T07:08:09.123456Z"),
        ("iso_date_time", "2024-03-05T07:08:09.123456Z"),
        ("iso_instant", "2024-03-05T07:08:09.123456Z"),
        ("iso_ordinal_date", "2024-065Z"),
        ("iso_week_date", "2024-W10-2Z"),
        ("rfc_1123_date_time", "Tue, 5 Mar 2024 07:08:09 GMT"),
        ("medium", "Mar 5, 2024, 7:08:09 AM"),
    ],
)
def test_named_formats(name: str, expected: str) -> None:
    assert render("{{ d | date(name) }}", name=name) == expected


def test_default_format_is_iso() -> None:
    assert render("{{ d | date }}") == "2024-03-05T07:08:09.123456Z"


def test_time_zone_converts() -> None:
    assert render("{{ d | date('HH:mmXXX', timeZone='Europe/Paris') }}") == "08:08+01:00"
    assert render("{{ d | date('HH:mmXXX', timeZone='+05:30') }}") == "12:38+05:30"
    paris = render("{{ d | date('iso_date_time', timeZone='Europe/Paris') }}")
    assert paris == "2024-03-05T08:08:09.123456+01:00[Europe/Paris]"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05T09:08:09+02:00", "2024-03-05T07:08:09"),
        ("2024-03-05T07:08:09", "2024-03-05T07:08:09"),
        ("2024-03-05", "2024-03-05T00:00:00"),
        ("2024-03-05T08:08:09.123456789+01:00[Europe/Paris]", "2024-03-05T07:08:09"),
        (1709622489, "2024-03-05T07:08:09"),
        (datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC), "2024-03-05T07:08:09"),
        (date(2024, 3, 5), "2024-03-05T12:00:00"),
    ],
)
def test_accepted_inputs(value: Any, expected: str) -> None:
    assert render("{{ v | date(\"yyyy-MM-dd'T'HH:mm:ss\") }}", v=value) == expected


def test_existing_format() -> None:
    template = (
        "{{ '05/03/2024 07h08' | date('yyyy-MM-dd HH:mm', "
        "existingFormat='dd/MM/yyyy HH\\'h\\'mm') }}"
    )
    assert render(template) == "2024-03-05 07:08"


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (1, "DAYS", "2024-03-06T07:08:09"),
        (-2, "HOURS", "2024-03-05T05:08:09"),
        (90, "MINUTES", "2024-03-05T08:38:09"),
        (30, "SECONDS", "2024-03-05T07:08:39"),
        (1, "WEEKS", "2024-03-12T07:08:09"),
        (1, "MONTHS", "2024-04-05T07:08:09"),
        (-1, "YEARS", "2023-03-05T07:08:09"),
    ],
)
def test_date_add(amount: int, unit: str, expected: str) -> None:
    template = "{{ d | dateAdd(a, u, \"yyyy-MM-dd'T'HH:mm:ss\") }}"
    assert render(template, a=amount, u=unit) == expected


def test_date_add_clamps_month_end_and_keeps_wall_time_over_dst() -> None:
    fmt = "yyyy-MM-dd'T'HH:mmXXX"
    assert render("{{ '2024-01-31T00:00:00Z' | dateAdd(1, 'MONTHS', f) }}", f=fmt) == (
        "2024-02-29T00:00Z"
    )
    # A local date-time takes the zone, then a day later is the same wall-clock time.
    template = "{{ '2024-03-30T12:00:00' | dateAdd(1, 'DAYS', f, timeZone='Europe/Paris') }}"
    assert render(template, f=fmt) == "2024-03-31T12:00+02:00"


def test_timestamps() -> None:
    assert render("{{ d | timestamp }}") == "1709622489"
    assert render("{{ d | timestampMilli }}") == "1709622489123"
    assert render("{{ d | timestampMicro }}") == "1709622489123456"
    assert render("{{ d | timestampNano }}") == "1709622489123456000"


@pytest.mark.parametrize(
    "template",
    [
        "{{ d | date('yyyy', timeZone='Mars/Olympus') }}",
        "{{ d | date('yyyy-#') }}",
        "{{ d | date('ppp') }}",
        "{{ 'not a date' | date }}",
        "{{ d | dateAdd(1, 'FORTNIGHTS') }}",
        '{{ d | date("\'unterminated") }}',
    ],
)
def test_date_errors(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template)
