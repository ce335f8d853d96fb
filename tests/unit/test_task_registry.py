from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from orchestrator.models import Flow
from orchestrator.tasks.base import TASK_TYPES, RunnableTask, Task
from orchestrator.tasks.core import Log, Return
from orchestrator.tasks.flow import Dag, Parallel, Sleep, Switch
from orchestrator.tasks.registry import PluginLoadError, TypeRegistry, UnknownTypeError


@pytest.mark.parametrize(
    "name",
    [
        "kestrel.core.log.Log",
        "io.kestra.plugin.core.log.Log",
        "io.kestra.core.tasks.log.Log",
    ],
)
def test_kestrel_and_kestra_names_resolve_to_the_same_class(name: str) -> None:
    assert TASK_TYPES.resolve(name) is Log


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("io.kestra.plugin.core.debug.Return", Return),
        ("io.kestra.core.tasks.debugs.Return", Return),
        ("io.kestra.plugin.core.flow.Parallel", Parallel),
        ("io.kestra.core.tasks.flows.Parallel", Parallel),
        ("io.kestra.core.tasks.flows.Switch", Switch),
    ],
)
def test_aliases(name: str, expected: type[Task]) -> None:
    assert TASK_TYPES.resolve(name) is expected


def test_unknown_type_suggests_the_closest_name() -> None:
    with pytest.raises(UnknownTypeError, match="did you mean 'io.kestra.plugin.core.log.Log'"):
        TASK_TYPES.resolve("io.kestra.plugin.core.log.Logg")


def test_a_type_of_a_missing_plugin_gets_no_core_suggestion() -> None:
    assert TASK_TYPES.suggest("io.kestra.plugin.cloudflare.cache.Purge") == []
    # a typo of a plugin family Kestrel has still gets one
    assert TASK_TYPES.suggest("io.kestra.plugin.cor.log.Log")[0] == "io.kestra.plugin.core.log.Log"


def test_unknown_short_name_suggests_by_class_name() -> None:
    with pytest.raises(UnknownTypeError) as error:
        TASK_TYPES.resolve("my.company.Sequentail")
    assert error.value.suggestions and error.value.suggestions[0].endswith("Sequential")


def test_every_core_type_is_registered() -> None:
    names = set(TASK_TYPES.names())
    for short in (
        "log.Log",
        "debug.Return",
        "debug.Echo",
        "output.OutputValues",
        "execution.Fail",
        "execution.Labels",
        "flow.Sleep",
        "flow.Sequential",
        "flow.Parallel",
        "flow.Switch",
        "flow.If",
        "flow.ForEach",
        "flow.EachSequential",
        "flow.EachParallel",
        "flow.Subflow",
        "flow.Pause",
        "flow.AllowFailure",
        "flow.Dag",
    ):
        assert f"kestrel.core.{short}" in names and f"io.kestra.plugin.core.{short}" in names
        assert TASK_TYPES.resolve(f"kestrel.core.{short}").__name__ == short.split(".")[1]


class Custom(RunnableTask):
    type_name: ClassVar[str] = "acme.Custom"
    aliases: ClassVar[tuple[str, ...]] = ("acme.OldCustom",)
    url: str


def test_registered_class_and_its_aliases_validate_in_a_flow() -> None:
    TASK_TYPES.register(Custom.type_name, Custom, Custom.aliases)
    flow = Flow.model_validate(
        {
            "id": "f",
            "namespace": "n",
            "tasks": [{"id": "c", "type": "acme.OldCustom", "url": "http://x"}],
        }
    )
    assert isinstance(flow.tasks[0], Custom)
    assert flow.to_json_dict()["tasks"][0]["url"] == "http://x"


def test_lazy_string_target_is_imported_once_on_use() -> None:
    registry: TypeRegistry[Task] = TypeRegistry("task", Task, "kestrel.tests.none")
    registry.register("x.Log", "orchestrator.tasks.core:Log", ["x.OldLog"])
    assert registry.resolve("x.OldLog") is Log
    assert registry.resolve("x.Log") is Log


def test_bad_plugin_target_is_a_clear_error() -> None:
    registry: TypeRegistry[Task] = TypeRegistry("task", Task, "kestrel.tests.none")
    registry.register("x.Missing", "orchestrator.tasks.core:Nope")
    registry.register("x.NotATask", "orchestrator.models.state:State")
    with pytest.raises(PluginLoadError, match="x.Missing"):
        registry.resolve("x.Missing")
    with pytest.raises(PluginLoadError, match="is not a task"):
        registry.resolve("x.NotATask")


def test_entry_points_are_read_from_the_group(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    import orchestrator.tasks.registry as module

    def fake_entry_points(group: str) -> list[EntryPoint]:
        assert group == "kestrel.tests.group"
        return [EntryPoint("vendor.Log", "orchestrator.tasks.core:Log", group)]

    monkeypatch.setattr(module, "entry_points", fake_entry_points)
    registry: TypeRegistry[Task] = TypeRegistry("task", Task, "kestrel.tests.group")
    assert registry.resolve("vendor.Log") is Log


def flow_with(task: dict[str, Any]) -> Flow:
    return Flow.model_validate({"id": "f", "namespace": "n", "tasks": [task]})


def test_dag_rejects_cycles_and_unknown_dependencies() -> None:
    def node(task_id: str, *deps: str) -> dict[str, Any]:
        log = {"id": task_id, "type": "io.kestra.plugin.core.log.Log", "message": task_id}
        return {"task": log, "dependsOn": list(deps)}

    ok = flow_with(
        {"id": "d", "type": "kestrel.core.flow.Dag", "tasks": [node("a"), node("b", "a")]}
    )
    assert isinstance(ok.tasks[0], Dag)
    with pytest.raises(ValidationError, match="dependency cycle: a -> b -> a"):
        flow_with(
            {"id": "d", "type": "kestrel.core.flow.Dag", "tasks": [node("a", "b"), node("b", "a")]}
        )
    with pytest.raises(ValidationError, match="depends on 'zz'"):
        flow_with({"id": "d", "type": "kestrel.core.flow.Dag", "tasks": [node("a", "zz")]})


def test_switch_case_keys_are_text_and_sleep_is_engine_resolved() -> None:
    ret = {"id": "r", "type": "io.kestra.plugin.core.debug.Return", "format": "x"}
    flow = flow_with(
        {"id": "s", "type": "kestrel.core.flow.Switch", "value": "1", "cases": {1: [ret]}}
    )
    switch = flow.tasks[0]
    assert isinstance(switch, Switch) and list(switch.cases) == ["1"]
    sleep = flow_with({"id": "z", "type": "kestrel.core.flow.Sleep", "duration": "PT1S"}).tasks[0]
    assert isinstance(sleep, Sleep) and sleep.is_flowable


def test_concurrent_first_lookups_all_see_plugin_types() -> None:
    import threading

    registry: TypeRegistry[Task] = TypeRegistry("task", Task, "kestrel.plugins")
    barrier = threading.Barrier(8)
    found: list[object] = []

    def look() -> None:
        barrier.wait()
        found.append(registry.resolve("io.kestra.plugin.scripts.shell.Commands"))

    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len({id(each) for each in found}) == 1
