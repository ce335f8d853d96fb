"""Pebble constructs, most of them as written in Kestra's own test flows."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.templating import TemplateError, TemplateRenderer, validate_template

RENDERER = TemplateRenderer()


def render(template: str, **context: Any) -> str:
    return RENDERER.render(template, context, task_id="t1", property_path="message")


# --- snippets from the Kestra flows -------------------------------------------------------


def test_ternary_from_restart_flows_takes_the_true_branch() -> None:
    assert (
        render("{{taskrun.attemptsCount == 1 ? 'ok' : ko}}", taskrun={"attemptsCount": 1}) == "ok"
    )


def test_ternary_evaluates_the_undefined_branch_only_when_chosen() -> None:
    # retry-success.yaml fails on purpose until the third attempt: `ko` is undefined.
    with pytest.raises(TemplateError, match="undefined variable 'ko'"):
        render("{{ taskrun.attemptsCount == 3 ? 'ok' : ko}}", taskrun={"attemptsCount": 1})


def test_ternary_on_parent_value_from_each_sequential() -> None:
    template = "{{ parent.taskrun.value == 'value 1' ? 'ok' : ko }}"
    assert render(template, parent={"taskrun": {"value": "value 1"}}) == "ok"


@pytest.mark.parametrize(
    ("failed", "expected"),
    [({"failed": "SECOND"}, "0"), ({}, "0")],
)
def test_parenthesised_null_coalescing_in_ternary_from_restart_each(
    failed: dict[str, str], expected: str
) -> None:
    template = "{{ (inputs.failed ?? 'NONE') == 'FIRST' ? ko : '0'}}"
    assert render(template, inputs=failed) == expected


def test_null_coalescing_on_missing_task_output_from_empty_variables() -> None:
    assert render("{{ outputs.not_existing ?? '' }}", outputs={}) == ""


def test_null_coalescing_on_missing_resume_input_from_pause_on_resume_optional() -> None:
    template = "{{outputs.pause.onResume.asked ?? 'MISSING'}}"
    assert render(template, outputs={"pause": {"onResume": {}}}) == "MISSING"
    assert render(template, outputs={"pause": {"onResume": {"asked": "y"}}}) == "y"


def test_equals_operator_from_if_in_flowable() -> None:
    template = "{{ taskrun.value equals 'value 2' }}"
    assert render(template, taskrun={"value": "value 2"}) == "true"
    assert render(template, taskrun={"value": "value 1"}) == "false"


def test_is_defined_from_allow_failure() -> None:
    assert render("{{ inputs.crash is defined }}", inputs={"crash": "1"}) == "true"
    assert render("{{ inputs.crash is defined }}", inputs={}) == "false"


def test_is_json_from_each_object() -> None:
    template = "{{ taskrun.value is json }}"
    assert render(template, taskrun={"value": "value 1"}) == "false"
    assert render(template, taskrun={"value": '{"key": "my-key", "value": "my-value"}'}) == "true"


def test_jq_on_parent_value_from_each_object() -> None:
    value = '{"key": "my-complex", "value": {"sub": 1, "bool": true}}'
    template = (
        "{{task.id}} > JSON > {{ parent.taskrun.value | jq('.key') }} > "
        "{{ parent.taskrun.value | jq('.value') }}"
    )
    out = render(template, task={"id": "json"}, parent={"taskrun": {"value": value}})
    assert out == 'json > JSON > ["my-complex"] > [{"sub":1,"bool":true}]'


def test_output_lookup_by_loop_values_from_each_parallel_nested() -> None:
    outputs = {"1-1-1_output": {"v1": {"v2": {"v3": {"value": "deep"}}}}}
    template = (
        "{{ outputs['1-1-1_output'][parents[1].taskrun.value][parents[0].taskrun.value]"
        "[taskrun.value].value }}"
    )
    parents = [{"taskrun": {"value": "v2"}}, {"taskrun": {"value": "v1"}}]
    assert render(template, outputs=outputs, parents=parents, taskrun={"value": "v3"}) == "deep"


def test_bracket_keys_with_spaces_and_dashes() -> None:
    outputs = {"1-2-1_return": {"s1": {"a a": {"value": "x"}}}}
    assert render("{{outputs['1-2-1_return'].s1['a a'].value}}", outputs=outputs) == "x"


def test_for_over_error_logs_with_whitespace_control_from_errors_flow() -> None:
    template = (
        "{%- for log in errorLogs() -%}\n"
        "- task: {{ log.taskId }}, message: {{ log.message }}\n"
        "{%- endfor -%}\n"
    )
    logs = [{"taskId": "failed", "message": "Task failure"}]
    assert render(template, _kestrel_error_logs=logs) == "- task: failed, message: Task failure"


def test_for_block_inside_print_is_a_syntax_error_as_in_pebble() -> None:
    # flowable-with-parent-fail.yaml: Kestra fails the If task on this condition.
    template = (
        "{{parents[0].taskrun.value == 'CUMULATIVE' and {% for entry in json(taskrun.value) %}"
        "{{ entry.key }}{% endfor %}== 'NEW_MONTH'}}"
    )
    with pytest.raises(TemplateError, match="syntax error at line 1"):
        validate_template(template)


def test_runif_comparison_on_values_output_from_task_runif() -> None:
    outputs = {"output": {"values": {"taskrun_data": 1}}}
    assert render("{{ outputs.output['values']['taskrun_data'] == 1 }}", outputs=outputs) == "true"
    with pytest.raises(TemplateError, match="notexists"):
        render("{{ outputs.notexists == 2 }}", outputs=outputs)


# --- operators -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ true ? 'a' : 'b' }}", "a"),
        ("{{ false ? 'a' : true ? 'b' : 'c' }}", "b"),
        ("{{ false ? 'a' : false ? 'b' : 'c' }}", "c"),
        ("{{ (1 > 2 ? 'x' : 'y') ~ '!' }}", "y!"),
        ("{{ null ?? 'a' }}", "a"),
        ("{{ null ?? null ?? 'b' }}", "b"),
        ("{{ 0 ?? 'a' }}", "0"),
        ("{{ false ?? 'a' }}", "false"),
        ("{{ '' ?? 'a' }}", ""),
        ("{{ null ??? 'a' }}", ""),
        ("{{ nothing ??? 'a' }}", "a"),
        ("{{ 'a' ~ 1 ~ true ~ null }}", "a1true"),
        ("{{ 'abc' contains 'b' }}", "true"),
        ("{{ [1, 2, 3] contains 2 }}", "true"),
        ("{{ [1, 2, 3] contains [1, 3] }}", "true"),
        ("{{ {'k': 1} contains 'k' }}", "true"),
        ("{{ 2 in [1, 2] }}", "true"),
        ("{{ 2 not in [1, 2] }}", "false"),
        ("{{ true and false }}", "false"),
        ("{{ 'x' and 'y' }}", "true"),
        ("{{ false or 1 }}", "true"),
        ("{{ not false }}", "true"),
        ("{{ 1 + 2 * 3 }}", "7"),
        ("{{ 7 / 2 }}", "3"),
        ("{{ -7 / 2 }}", "-3"),
        ("{{ 7.0 / 2 }}", "3.5"),
        ("{{ -7 % 3 }}", "-1"),
        ("{{ 1..3 }}", "[1,2,3]"),
        ("{{ null }}", ""),
        ("{{ none is null }}", "true"),
        ("{{ 'x' is not null }}", "true"),
        ("{{ '  ' is empty }}", "true"),
        ("{{ [] is empty }}", "true"),
        ("{{ {'a': 1} is map }}", "true"),
        ("{{ 3 is odd }}", "true"),
        ("{{ '[1, 2]' is json }}", "true"),
        ('{{ "a#{1 + 1}b" }}', "a2b"),
        ("{{ 'it\\'s' }}", "it's"),
        ("{{ 'a ? b : c' }}", "a ? b : c"),
        ("{{ 'a ?? b' ~ \"equals\" }}", "a ?? bequals"),
        ("{{ 'x' if true else 'y' }}", "x"),
    ],
)
def test_operators(template: str, expected: str) -> None:
    assert render(template) == expected


def test_not_binds_tighter_than_comparison_as_in_pebble() -> None:
    # Pebble's unary `not` has precedence 500: `not a == b` is `(not a) == b`.
    assert render("{{ not 1 == false }}") == "true"


def test_filters_bind_before_null_coalescing() -> None:
    assert render("{{ inputs.x | upper ?? 'none' }}", inputs={}) == "none"
    assert render("{{ inputs.x | upper ?? 'none' }}", inputs={"x": "a"}) == "A"


# --- tags ----------------------------------------------------------------------------------


def test_if_elseif_else() -> None:
    template = "{% if x == 1 %}one{% elseif x == 2 %}two{% else %}many{% endif %}"
    assert [render(template, x=n) for n in (1, 2, 3)] == ["one", "two", "many"]


def test_for_loop_index_is_zero_based_like_pebble() -> None:
    template = (
        "{% for x in ['a', 'b'] %}{{ loop.index }}{{ x }}"
        "{% if not loop.last %},{% endif %}{% endfor %}"
    )
    assert render(template) == "0a,1b"


def test_for_over_map_yields_entries() -> None:
    template = "{% for e in m %}{{ e.key }}={{ e.value }};{% endfor %}"
    assert render(template, m={"a": 1, "b": 2}) == "a=1;b=2;"
    assert render("{% for k, v in m %}{{ k }}{{ v }}{% endfor %}", m={"a": 1}) == "a1"


def test_for_over_null_runs_else() -> None:
    assert render("{% for x in n %}{{ x }}{% else %}empty{% endfor %}", n=None) == "empty"


def test_set_and_filter_tags() -> None:
    assert render("{% set v = 'ab' | upper %}{{ v }}") == "AB"
    assert render("{% filter upper | trim %} abc {% endfilter %}") == "ABC"


def test_verbatim_keeps_delimiters() -> None:
    assert render("{% verbatim %}{{ not rendered }}{% endverbatim %}!") == "{{ not rendered }}!"
    assert render("{% raw %}{% if %}{% endraw %}") == "{% if %}"


def test_comments_and_whitespace_control() -> None:
    assert render("a {#- comment -#} b") == "ab"
    assert render("a\n  {{- 'b' -}}  \nc") == "abc"


def test_trailing_newline_is_kept() -> None:
    assert render("{{ 'a' }}\n") == "a\n"


def test_text_without_markup_is_returned_unchanged() -> None:
    text = "no markup: } { % # ?? equals"
    assert RENDERER.render(text, {}) is text


def test_map_literal_with_nested_braces() -> None:
    assert render("{{ {'a': {'b': 1}} }}") == '{"a":{"b":1}}'


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{{ a ? b : c }}",
        "{{ a ?? b ?? 'c' }}",
        "{% for x in y %}{{ loop.index }}{% endfor %}",
        "{{ x is not defined and y is null }}",
        "{{ now() | date('yyyy-MM-dd') }}",
        "{% if a equals 'b' %}{% elseif c contains 'd' %}{% endif %}",
    ],
)
def test_validate_accepts_pebble(template: str) -> None:
    validate_template(template)


@pytest.mark.parametrize(
    ("template", "line"),
    [
        ("{{ a ? b }}", 1),
        ("ok\n{{ (1 }}", 2),
        ("{{ 'unclosed }}", 1),
        ("a\n\n{% for x in y %}", 3),
        ("{% include 'other' %}", 1),
        ("{{ x | nosuchfilter }}", 1),
        ("{{ x is nosuchtest }}", 1),
        ("{# never closed", 1),
        ("{{ a }", 1),
        ("{{ a b }}", 1),
        ("{{ a $ b }}", 1),
    ],
)
def test_validate_reports_syntax_errors_with_lines(template: str, line: int) -> None:
    with pytest.raises(TemplateError) as info:
        validate_template(template)
    assert info.value.line == line
    assert f"line {line}" in str(info.value)


def test_syntax_error_names_task_and_property_when_rendering() -> None:
    with pytest.raises(TemplateError, match=r"^task 't1', property 'message': syntax error"):
        render("{{ a ? b }}")
