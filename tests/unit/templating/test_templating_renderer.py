"""Rendering: variables, output formatting, strict undefined, recursion, secrets, envs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from orchestrator.templating import (
    ERROR_LOGS_KEY,
    TemplateError,
    TemplateRenderer,
    envs_from_environ,
    has_template,
)

PARENTS = [
    {"taskrun": {"value": "v22"}, "outputs": {"x": 1}},
    {"taskrun": {"value": "v11"}},
]

CONTEXT: dict[str, Any] = {
    "flow": {"id": "hello", "namespace": "io.kestra.tests", "revision": 3},
    "execution": {
        "id": "exec1",
        "startDate": "2024-01-02T03:04:05.123Z",
        "originalId": "exec0",
        "state": "RUNNING",
    },
    "task": {"id": "t1", "type": "io.kestra.plugin.core.log.Log"},
    "taskrun": {
        "id": "tr1",
        "startDate": "2024-01-02T03:04:06.000Z",
        "attemptsCount": 2,
        "parentId": "tr0",
        "value": "v31",
    },
    "parent": PARENTS[0],
    "parents": PARENTS,
    "inputs": {"name": "world", "count": 3, "ratio": 1.0, "flag": True, "nothing": None},
    "outputs": {
        "t0": {"value": "zero"},
        "each": {"v11": {"v22": {"v31": {"value": "v11-v22-v31"}}}},
    },
    "vars": {"greeting": "hello {{ inputs.name }}"},
    "labels": {"key1": "value1", "system": {"correlationId": "exec0"}},
    "trigger": {"date": "2024-01-01T00:00:00Z"},
}


@pytest.fixture
def renderer() -> TemplateRenderer:
    secrets = {"DB_PASSWORD": "hunter2", "TOKEN": "t0k3n"}
    return TemplateRenderer(secret_provider=secrets.get, envs={"home": "/root"})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ flow.id }}.{{ flow.namespace }}@{{ flow.revision }}", "hello.io.kestra.tests@3"),
        (
            "{{ execution.id }} {{ execution.originalId }} {{ execution.state }}",
            "exec1 exec0 RUNNING",
        ),
        ("{{ execution.startDate }}", "2024-01-02T03:04:05.123Z"),
        ("{{ task.id }} {{ task.type }}", "t1 io.kestra.plugin.core.log.Log"),
        ("{{taskrun.id}} {{taskrun.attemptsCount}} {{taskrun.parentId}}", "tr1 2 tr0"),
        ("{{ taskrun.value }} {{ taskrun.startDate }}", "v31 2024-01-02T03:04:06.000Z"),
        ("{{ parent.taskrun.value }} {{ parent.outputs.x }}", "v22 1"),
        ("{{ parents[0].taskrun.value }}-{{ parents[1].taskrun.value }}", "v22-v11"),
        ("Hello {{ inputs.name }}", "Hello world"),
        ("{{ outputs.t0.value }}", "zero"),
        ("{{ vars.greeting }}", "hello {{ inputs.name }}"),
        ("{{ labels.key1 }} {{ labels.system.correlationId }}", "value1 exec0"),
        ("{{ trigger.date }}", "2024-01-01T00:00:00Z"),
        ("{{ envs.home }}", "/root"),
    ],
)
def test_variables(renderer: TemplateRenderer, template: str, expected: str) -> None:
    assert renderer.render(template, CONTEXT) == expected


def test_context_envs_win_over_constructor_envs(renderer: TemplateRenderer) -> None:
    assert renderer.render("{{ envs.home }}", {"envs": {"home": "/h"}}) == "/h"


def test_envs_from_environ() -> None:
    environ = {"ENV_MY_VAR": "1", "PATH": "/bin", "ENV_X": "2"}
    assert envs_from_environ(environ) == {"my_var": "1", "x": "2"}
    assert envs_from_environ({"K_A": "1"}, prefix="K_") == {"a": "1"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (False, "false"),
        (None, ""),
        (1, "1"),
        (1.0, "1.0"),
        (3.14, "3.14"),
        (1e20, "1.0E20"),
        (1.5e-5, "1.5E-5"),
        (12345678.9, "1.23456789E7"),
        (float("nan"), "NaN"),
        ({"a": [1, True, None, 2.5]}, '{"a":[1,true,null,2.5]}'),
        (["é", "b"], '["é","b"]'),
        (datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC), "2024-01-02T03:04:05.123Z"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05Z"),
    ],
)
def test_output_formatting_follows_kestra(
    renderer: TemplateRenderer, value: Any, expected: str
) -> None:
    assert renderer.render("{{ v }}", {"v": value}) == expected


def test_constant_output_is_formatted_too(renderer: TemplateRenderer) -> None:
    assert renderer.render("{{ true }} {{ 1.0 }} {{ [1, 'a'] }}", {}) == 'true 1.0 [1,"a"]'


# --- strict undefined ---------------------------------------------------------------------


def test_undefined_variable_names_task_and_property(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateError) as info:
        renderer.render("{{ missingVar }}", {}, task_id="t1", property_path="message")
    error = info.value
    assert (error.task_id, error.property_path, error.line) == ("t1", "message", 1)
    assert str(error).startswith("task 't1', property 'message': undefined variable 'missingVar'")
    assert "Unable to find `missingVar` used in the expression `{{ missingVar }}`" in str(error)


def test_missing_root_variable_reads_like_kestra(renderer: TemplateRenderer) -> None:
    # variables-invalid.yaml expects this sentence in the failed task's log.
    with pytest.raises(TemplateError) as info:
        renderer.render("{{inputs.invalid}}", {}, task_id="parent-seq", property_path="value")
    assert "Unable to find `inputs` used in the expression `{{inputs.invalid}}`" in str(info.value)


def test_missing_nested_key_is_an_error(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateError, match="undefined key 'nope'"):
        renderer.render("{{ outputs.nope.value }}", CONTEXT)


def test_error_points_at_the_failing_line(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateError) as info:
        renderer.render("a\n{{ inputs.name }}\n{{ inputs.nope }}", CONTEXT)
    assert info.value.line == 3
    assert "`{{ inputs.nope }}`" in str(info.value)


@pytest.mark.parametrize(
    "template",
    [
        "{{ inputs.nope | upper }}",
        "{{ inputs.nope ~ 'x' }}",
        "{% if inputs.nope %}x{% endif %}",
        "{% for x in inputs.nope %}{% endfor %}",
        "{{ inputs.nope == 'x' }}",
        "{{ inputs.nope is null }}",
        "{{ inputs.nope is empty }}",
        "{{ [inputs.nope] }}",
        "{{ fromJson(inputs.nope) }}",
    ],
)
def test_undefined_never_renders_as_empty(renderer: TemplateRenderer, template: str) -> None:
    with pytest.raises(TemplateError, match="nope"):
        renderer.render(template, CONTEXT)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ inputs.nope ?? 'd' }}", "d"),
        ("{{ inputs.nope.deeper.still ?? 'd' }}", "d"),
        ("{{ inputs.nope is defined }}", "false"),
        ("{{ inputs.nope is not defined }}", "true"),
        ("{{ inputs.nope | default('d') }}", "d"),
        ("{{ inputs.nothing | default('d') }}", "d"),
        ("{{ inputs.nothing }}", ""),
        ("{{ inputs.nothing ?? 'd' }}", "d"),
        ("{{ inputs.nope | upper ?? 'd' }}", "d"),
    ],
)
def test_undefined_handled_gracefully(
    renderer: TemplateRenderer, template: str, expected: str
) -> None:
    assert renderer.render(template, CONTEXT) == expected


# --- recursion -------------------------------------------------------------------------------


def test_render_recursive_renders_keys_values_and_lists(renderer: TemplateRenderer) -> None:
    value = {
        "{{ task.id }}": ["{{ inputs.count }}", 2, None, {"k": "{{ inputs.flag }}"}],
        "plain": 1.5,
    }
    rendered = renderer.render_recursive(value, CONTEXT)
    assert rendered == {"t1": ["3", 2, None, {"k": "true"}], "plain": 1.5}


def test_render_recursive_error_names_nested_property(renderer: TemplateRenderer) -> None:
    value = {"headers": {"Authorization": "Bearer {{ secret('NOPE') }}"}}
    with pytest.raises(TemplateError) as info:
        renderer.render_recursive(value, CONTEXT, task_id="http", property_path="request")
    assert info.value.property_path == "request.headers.Authorization"
    assert str(info.value).startswith(
        "task 'http', property 'request.headers.Authorization': unknown secret 'NOPE'"
    )


def test_render_recursive_error_names_list_index(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateError) as info:
        renderer.render_recursive(["a", "b", "{{ nope }}"], CONTEXT, property_path="values")
    assert info.value.property_path == "values[2]"
    with pytest.raises(TemplateError) as info:
        renderer.render_recursive({"list": ["{{ nope }}"]}, CONTEXT)
    assert info.value.property_path == "list[0]"


def test_render_function_renders_vars_again(renderer: TemplateRenderer) -> None:
    assert renderer.render("{{ render(vars.greeting) }}", CONTEXT) == "hello world"
    context = {**CONTEXT, "vars": {"a": "{{ vars.b }}", "b": "{{ inputs.name }}"}}
    assert renderer.render("{{ render(vars.a) }}", context) == "world"
    assert renderer.render("{{ renderOnce(vars.a) }}", context) == "{{ inputs.name }}"
    assert renderer.render("{{ render(42) }}", context) == "42"


def test_render_function_stops_self_reference(renderer: TemplateRenderer) -> None:
    context = {"vars": {"loop": "{{ render(vars.loop) }}"}}
    with pytest.raises(TemplateError, match="render"):
        renderer.render("{{ render(vars.loop) }}", context)


# --- secrets ---------------------------------------------------------------------------------


def test_secret_values_are_reported_for_masking(renderer: TemplateRenderer) -> None:
    used: set[str] = set()
    out = renderer.render(
        "{{ secret('DB_PASSWORD') }}/{{ secret('TOKEN') }}", {}, used_secrets=used
    )
    assert out == "hunter2/t0k3n"
    assert used == {"hunter2", "t0k3n"}


def test_secrets_revealed_through_render_are_reported(renderer: TemplateRenderer) -> None:
    used: set[str] = set()
    context = {"vars": {"dsn": "db://{{ secret('DB_PASSWORD') }}"}}
    renderer.render_recursive({"a": "{{ render(vars.dsn) }}"}, context, used_secrets=used)
    assert used == {"hunter2"}


def test_unknown_secret_and_missing_provider(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateError, match="unknown secret 'NOPE'"):
        renderer.render("{{ secret('NOPE') }}", {})
    with pytest.raises(TemplateError, match="no secret provider"):
        TemplateRenderer().render("{{ secret('DB_PASSWORD') }}", {})


def test_secret_provider_raising_lookup_error_means_unknown() -> None:
    def provider(name: str) -> str:
        raise KeyError(name)

    with pytest.raises(TemplateError, match="unknown secret 'X'"):
        TemplateRenderer(secret_provider=provider).render("{{ secret('X') }}", {})


# --- functions reading the context -----------------------------------------------------------


def test_current_each_output_walks_parents_then_taskrun(renderer: TemplateRenderer) -> None:
    template = "return-{{ currentEachOutput(outputs['each']).value }}"
    assert renderer.render(template, CONTEXT) == "return-v11-v22-v31"


def test_current_each_output_single_loop() -> None:
    # current-output.yaml: 2-1_return reads 2-1_output of the same ForEach iteration.
    context = {
        "outputs": {"2-1_output": {"v41": {"value": "v41"}, "v42": {"value": "v42"}}},
        "taskrun": {"value": "v42"},
        "parents": [],
    }
    template = "return-{{ currentEachOutput(outputs['2-1_output']).value }}"
    assert TemplateRenderer().render(template, context) == "return-v42"


def test_current_each_output_skips_levels_without_values() -> None:
    context = {
        "outputs": {"o": {"a": {"value": 1}}},
        "taskrun": {"value": "a"},
        "parents": [{"taskrun": {"value": None}}, {"taskrun": {}}],
    }
    assert TemplateRenderer().render("{{ currentEachOutput(outputs.o).value }}", context) == "1"


def test_error_logs_from_a_callable_or_missing(renderer: TemplateRenderer) -> None:
    calls: list[int] = []

    def fetch() -> list[dict[str, str]]:
        calls.append(1)
        return [{"taskId": "a", "message": "boom"}]

    context = {ERROR_LOGS_KEY: fetch}
    template = "{% for log in errorLogs() %}{{ log.taskId }}: {{ log.message }}{% endfor %}"
    assert renderer.render(template, context) == "a: boom"
    assert calls == [1]
    with pytest.raises(TemplateError, match="errorLogs"):
        renderer.render("{{ errorLogs() }}", {})


@pytest.mark.parametrize("key", ["values", "items", "keys", "get", "pop", "update", "copy"])
def test_map_keys_named_like_dict_methods(renderer: TemplateRenderer, key: str) -> None:
    # OutputValues tasks expose `outputs.<id>.values`; Pebble reads map keys, not methods.
    context = {"outputs": {"o": {key: {"x": 1}}}}
    assert renderer.render(f"{{{{ outputs.o.{key}.x }}}}", context) == "1"
    with pytest.raises(TemplateError, match=f"undefined key '{key}'"):
        renderer.render(f"{{{{ inputs.{key} }}}}", {"inputs": {}})
    with pytest.raises(TemplateError, match=f"undefined key '{key}'"):
        renderer.render(f"{{{{ inputs['{key}'] }}}}", {"inputs": {}})


def test_context_functions_shadow_builtins(renderer: TemplateRenderer) -> None:
    assert renderer.render("{{ kv('k') }}", {"kv": lambda key: f"value-of-{key}"}) == "value-of-k"


# --- misc ----------------------------------------------------------------------------------


def test_has_template() -> None:
    assert has_template("a {{ b }}")
    assert has_template("{% if %}")
    assert has_template("{# c #}")
    assert not has_template("a { b } %")


def test_concurrent_renders_keep_their_own_secrets(renderer: TemplateRenderer) -> None:
    results: dict[int, set[str]] = {}

    def work(index: int) -> None:
        used: set[str] = set()
        name = "DB_PASSWORD" if index % 2 else "TOKEN"
        for _ in range(50):
            renderer.render(f"{{{{ secret('{name}') }}}}", {}, used_secrets=used)
        results[index] = used

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(used == ({"hunter2"} if i % 2 else {"t0k3n"}) for i, used in results.items())


def test_many_renders_reuse_compiled_templates(renderer: TemplateRenderer) -> None:
    # A performance sanity check without timing: 20k renders of a few distinct templates.
    templates = [f"{{{{ inputs.name }}}}-{i} {{{{ taskrun.value ?? 'x' }}}}" for i in range(20)]
    for _ in range(1000):
        for template in templates:
            renderer.render(template, CONTEXT)
    assert len(renderer._cache) == len(templates)


def test_cache_is_bounded() -> None:
    renderer = TemplateRenderer(cache_size=5)
    for i in range(20):
        renderer.render(f"{{{{ {i} }}}}", {})
    assert len(renderer._cache) == 5
