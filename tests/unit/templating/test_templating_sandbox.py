"""No template reaches Python internals, mutates data or runs away with resources."""

from __future__ import annotations

import pytest

from orchestrator.templating import TemplateError, TemplateRenderer

RENDERER = TemplateRenderer(secret_provider={"S": "v"}.get)
CONTEXT = {"inputs": {"name": "x", "items": [1, 2]}, "outputs": {}}


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''['__class__'] }}",
        "{{ inputs.__class__.__init__.__globals__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ self.__init__.__globals__ }}",
        "{{ now.__globals__ }}",
        "{{ now.__code__ }}",
        "{{ secret.__self__ }}",
        "{{ secret.__self__._secret_provider }}",
        "{{ render.__globals__ }}",
        "{{ _k_concat.__globals__['os'] }}",
        "{{ inputs.name.__len__() }}",
        "{{ (inputs.items | first).__class__ }}",
        "{{ '{0.__class__}'.format('') }}",
        "{{ inputs.items.append(3) }}",
        "{{ inputs.update({'a': 1}) }}",
        "{{ inputs.pop('name') }}",
        "{% set x = inputs['items'].clear() %}{{ x }}",
        "{{ range.__globals__ }}",
    ],
)
def test_escapes_are_refused(template: str) -> None:
    with pytest.raises(TemplateError):
        RENDERER.render(template, CONTEXT)
    assert CONTEXT["inputs"] == {"name": "x", "items": [1, 2]}


def test_unsafe_access_is_reported_as_such() -> None:
    with pytest.raises(TemplateError, match="unsafe"):
        RENDERER.render("{{ ''.__class__ }}", CONTEXT, task_id="t", property_path="p")


@pytest.mark.parametrize(
    "template",
    [
        "{% include 'x' %}",
        "{% import 'x' as y %}",
        "{% extends 'x' %}",
        "{% macro m() %}{% endmacro %}",
    ],
)
def test_template_loading_tags_are_refused(template: str) -> None:
    with pytest.raises(TemplateError, match="unsupported tag"):
        RENDERER.render(template, CONTEXT)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ range(0, 1000000000) }}", "limit"),
        ("{{ (0..1000000000) | length }}", "limit"),
        ("{{ 'a' * 100000000 }}", "repetition"),
        ("{{ [1] * 100000000 }}", "repetition"),
        (
            "{% for i in range(0, 99999) %}{% for j in range(0, 99999) %}{% endfor %}{% endfor %}",
            "loops",
        ),
    ],
)
def test_resource_abuse_is_bounded(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        RENDERER.render(template, CONTEXT)


def test_jinja_only_syntax_does_not_bypass_the_translator() -> None:
    # Everything is parsed as Pebble first, so Jinja's ** and // operators are rejected.
    for template in ("{{ 10 ** 10 ** 10 }}", "{{ 7 // 2 }}"):
        with pytest.raises(TemplateError, match="syntax error"):
            RENDERER.render(template, CONTEXT)


def test_loop_budget_is_per_render() -> None:
    template = "{% for i in range(1, 700) %}{% for j in range(1, 700) %}{% endfor %}{% endfor %}ok"
    for _ in range(3):  # 490,000 iterations each: only the total would exceed the budget
        assert RENDERER.render(template, CONTEXT) == "ok"


def test_absurd_nesting_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="nested too deeply"):
        RENDERER.validate_template("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")
