"""Filters and functions, with Pebble/Kestra semantics."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from orchestrator.templating import TemplateError, TemplateRenderer

RENDERER = TemplateRenderer()


def render(template: str, **context: Any) -> str:
    return RENDERER.render(template, context)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 'hello world' | upper }}", "HELLO WORLD"),
        ("{{ 'HeLLo' | lower }}", "hello"),
        ("{{ 'hello wORLD' | capitalize }}", "Hello wORLD"),
        ("{{ 'hello wORLD' | title }}", "Hello World"),
        ("{{ '  x  ' | trim }}", "x"),
        ("{{ -3 | abs }}", "3"),
        ("{{ '42' | number + 1 }}", "43"),
        ("{{ '4.5' | number }}", "4.5"),
        ("{{ '4' | number('DOUBLE') }}", "4.0"),
        ("{{ 'abc' | length }}", "3"),
        ("{{ [1, 2] | length }}", "2"),
        ("{{ null | length }}", "0"),
        ("{{ [1, 2, 3] | first }}", "1"),
        ("{{ [1, 2, 3] | last }}", "3"),
        ("{{ 'abc' | first }}", "a"),
        ("{{ [] | first }}", ""),
        ("{{ ['a', 1, true, null] | join(',') }}", "a,1,true,null"),
        ("{{ {'a': 1, 'b': 2} | keys }}", '["a","b"]'),
        ("{{ {'a': 1, 'b': 2} | values }}", "[1,2]"),
        ("{{ 'a,b,,c,,' | split(',') }}", '["a","b","","c"]'),
        ("{{ 'a.b.c' | split('\\\\.', 2) }}", '["a","b.c"]'),
        ("{{ 'hello' | replace({'l': 'L', 'o': '0'}) }}", "heLL0"),
        ("{{ 'a1b22' | replace({'(\\\\d+)': '<$1>'}, regexp=true) }}", "a<1>b<22>"),
        ("{{ 'hello' | replace('l', 'L') }}", "heLLo"),
        ("{{ ['ab', {'k': 'b'}] | replace({'b': 'c'}) }}", '["ac",{"k":"c"}]'),
        ("{{ 'Héllo Wörld, 2024!' | slugify }}", "hello-world-2024"),
        ("{{ 'kestra' | startsWith('kes') }}", "true"),
        ("{{ 'kestra' | endsWith('tra') }}", "true"),
        ("{{ 'a-b-c' | substringBefore('-') }}", "a"),
        ("{{ 'a-b-c' | substringBeforeLast('-') }}", "a-b"),
        ("{{ 'a-b-c' | substringAfter('-') }}", "b-c"),
        ("{{ 'a-b-c' | substringAfterLast('-') }}", "c"),
        ("{{ 'abc' | substringAfter('x') }}", ""),
        ("{{ 'abc' | substringBefore('x') }}", "abc"),
        ("{{ 'héllo' | base64encode }}", "aMOpbGxv"),
        ("{{ 'aMOpbGxv' | base64decode }}", "héllo"),
        ("{{ 'a b&c=d/é' | urlencode }}", "a+b%26c%3Dd%2F%C3%A9"),
        ("{{ 'a+b%26' | urldecode }}", "a b&"),
        ("{{ 'abc' | md5 }}", "900150983cd24fb0d6963f7d28e17f72"),
        ("{{ 'abc' | sha1 }}", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            "{{ 'abc' | sha256 }}",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        ("{{ 'abc' | sha512 | length }}", "128"),
        ("{{ {'a': [1, 'x', null]} | json }}", '{"a":[1,"x",null]}'),
        ("{{ {'a': 1.0} | toJson }}", '{"a":1.0}'),
        ("{{ ('{\"a\": [1, 2]}' | fromJson).a[1] }}", "2"),
        ("{{ {'a': 1} | yaml }}", "a: 1\n"),
        ("{{ 'line1\nline2' | indent(2) }}", "line1\n  line2"),
        ("{{ 'line1\nline2' | nindent(2) }}", "\n  line1\n  line2"),
        ("{{ 'it\\'s' | escapeChar('single') }}", "it\\'s"),
        ("{{ 'say \"hi\"' | escapeChar('double') }}", 'say \\"hi\\"'),
        ("{{ 'abcdef' | slice(1, 3) }}", "bc"),
        ("{{ [3, 1, 2] | sort }}", "[1,2,3]"),
        ("{{ [3, 1, 2] | rsort }}", "[3,2,1]"),
        ("{{ 'abc' | reverse }}", "cba"),
        ("{{ [1, 2] | merge([3]) }}", "[1,2,3]"),
        ("{{ {'a': 1} | merge({'b': 2}) }}", '{"a":1,"b":2}'),
        ("{{ [1, 2, 3, 4, 5] | chunk(2) }}", "[[1,2],[3,4],[5]]"),
        ("{{ [[1, 2], [3], 4] | flatten }}", "[1,2,3,4]"),
        ("{{ [1, 2, 1, 3, 2] | distinct }}", "[1,2,3]"),
        ("{{ 'abcdefghij' | abbreviate(6) }}", "abc..."),
        ("{{ 1 | string ~ 2 }}", "12"),
        ("{{ null | default('d') }}", "d"),
        ("{{ '' | default('d') }}", "d"),
        ("{{ [] | default('d') }}", "d"),
        ("{{ 0 | default('d') }}", "0"),
        ("{{ 'x' | default('d') }}", "x"),
    ],
)
def test_filters(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ '{\"key\": \"my-key\"}' | jq('.key') }}", '["my-key"]'),
        ("{{ '{\"key\": \"my-key\"}' | jq('.key') | first }}", "my-key"),
        ("{{ {'a': [1, 2, 3]} | jq('.a[]') }}", "[1,2,3]"),
        ("{{ {'a': {'b': true}} | jq('.a') | first }}", '{"b":true}'),
        ("{{ [1, 2] | jq('map(. * 10) | add') | first }}", "30"),
    ],
)
def test_jq_returns_a_list_like_kestra(template: str, expected: str) -> None:
    assert render(template) == expected


def test_jq_errors_are_template_errors() -> None:
    with pytest.raises(TemplateError, match="jq"):
        render("{{ 'not json' | jq('.a') }}")
    with pytest.raises(TemplateError):
        render("{{ {} | jq('.[') }}")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ fromJson(\'{"a": {"b": 2}}\').a.b }}', "2"),
        ("{{ json('[1, 2]')[1] }}", "2"),
        ("{{ fromJson(null) }}", ""),
        ("{{ range(1, 3) }}", "[1,2,3]"),
        ("{{ range(0, 6, 2) }}", "[0,2,4,6]"),
        ("{{ range(3, 1, -1) }}", "[3,2,1]"),
        ("{{ max(1, 5, 3) }}", "5"),
        ("{{ min(4, 2, 8) }}", "2"),
        ("{{ max([1, 9]) }}", "9"),
    ],
)
def test_functions(template: str, expected: str) -> None:
    assert render(template) == expected


def test_invalid_json_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="invalid JSON"):
        render("{{ fromJson('{nope') }}")


def test_uuid_id_and_random_int() -> None:
    assert uuid.UUID(render("{{ uuid() }}"))
    assert re.fullmatch(r"[0-9A-Za-z]{22}", render("{{ id() }}"))
    assert render("{{ randomInt(5, 6) }}") == "5"


def test_now_is_iso_with_offset() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", render("{{ now() }}"))
    paris = render("{{ now(timeZone='Europe/Paris') }}")
    assert re.fullmatch(r".*T\d\d:\d\d:\d\d\.\d{6}\+0[12]:00", paris)
    assert re.fullmatch(r"\d{4}", render("{{ now(format='yyyy') }}"))


def test_unknown_filter_argument_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="TypeError"):
        render("{{ 'a' | upper(1, 2) }}")


def test_filters_pass_undefined_through_to_the_error() -> None:
    with pytest.raises(TemplateError, match="undefined key 'nope'"):
        render("{{ inputs.nope | trim | upper }}", inputs={})
