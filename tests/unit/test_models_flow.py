import glob
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from orchestrator.models import Execution, Flow, State, StateType, TaskRun, labels_as_dict, new_id
from orchestrator.tasks.core import Log

KESTRA_FLOWS = Path(__file__).resolve().parents[3] / "shared" / "kestra-flows"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(path: Path) -> Flow:
    return Flow.model_validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_round_trip_through_json(path: Path) -> None:
    flow = load(path)
    assert Flow.model_validate(flow.to_json_dict()) == flow


@pytest.mark.skipif(
    not KESTRA_FLOWS.is_dir(), reason="../shared/kestra-flows is not beside the checkout"
)
def test_every_kestra_flow_loads_and_round_trips() -> None:
    paths = sorted(glob.glob(str(KESTRA_FLOWS / "*.y*ml")))
    assert len(paths) > 100
    for path in paths:
        flow = load(Path(path))
        assert Flow.model_validate(flow.to_json_dict()) == flow, path


def test_wire_names_are_kestra_camel_case() -> None:
    flow = Flow.model_validate(
        {
            "id": "f",
            "namespace": "n",
            "labels": {"team": "data", "tier": 1},
            "tasks": [
                {
                    "id": "t",
                    "type": "io.kestra.plugin.core.log.Log",
                    "message": "m",
                    "allowFailure": True,
                    "runIf": "{{ true }}",
                }
            ],
            "finally": [{"id": "f1", "type": "io.kestra.plugin.core.log.Log", "message": "x"}],
        }
    )
    wire = flow.to_json_dict()
    assert wire["tasks"][0]["allowFailure"] is True and wire["tasks"][0]["runIf"] == "{{ true }}"
    assert wire["finally"][0]["id"] == "f1"
    assert wire["labels"] == [{"key": "team", "value": "data"}, {"key": "tier", "value": "1"}]
    assert labels_as_dict(flow.labels) == {"team": "data", "tier": "1"}
    assert isinstance(flow.tasks[0], Log) and flow.tasks[0].allow_failure


def test_task_defaults_fill_missing_properties_and_forced_overrides() -> None:
    flow = Flow.model_validate(
        {
            "id": "f",
            "namespace": "n",
            "taskDefaults": [
                {
                    "type": "io.kestra.plugin.core.log.Log",
                    "values": {"message": "default", "level": "WARN"},
                },
                {"type": "kestrel.core.log.Log", "values": {"level": "ERROR"}, "forced": True},
            ],
            "tasks": [
                {"id": "a", "type": "io.kestra.plugin.core.log.Log"},
                {
                    "id": "s",
                    "type": "io.kestra.plugin.core.flow.Sequential",
                    "tasks": [
                        {
                            "id": "b",
                            "type": "io.kestra.core.tasks.log.Log",
                            "message": "own",
                            "level": "DEBUG",
                        }
                    ],
                },
            ],
        }
    )
    a, b = flow.find_task("a"), flow.find_task("b")
    assert isinstance(a, Log) and a.message == "default" and a.level == "ERROR"
    assert isinstance(b, Log) and b.message == "own" and b.level == "ERROR"


def test_duplicate_ids_are_refused() -> None:
    log = {"id": "x", "type": "io.kestra.plugin.core.log.Log", "message": "m"}
    with pytest.raises(ValidationError, match="duplicate task id: x"):
        Flow.model_validate({"id": "f", "namespace": "n", "tasks": [log], "errors": [log]})
    with pytest.raises(ValidationError, match="duplicate input id: i"):
        Flow.model_validate(
            {
                "id": "f",
                "namespace": "n",
                "inputs": [{"id": "i", "type": "STRING"}, {"id": "i", "type": "INT"}],
                "tasks": [log],
            }
        )


def test_execution_round_trips_with_kestra_field_names() -> None:
    execution_id = new_id()
    run = TaskRun(
        id=new_id(),
        execution_id=execution_id,
        namespace="n",
        flow_id="f",
        task_id="t",
        value="v1",
        state=State.of(StateType.SUCCESS),
        outputs={"value": 1},
    )
    execution = Execution(
        id=execution_id,
        namespace="n",
        flow_id="f",
        flow_revision=3,
        seq=7,
        task_run_list=(run,),
        labels={"a": "b"},
    )
    wire = execution.to_json_dict()
    assert wire["flowId"] == "f" and wire["flowRevision"] == 3 and wire["seq"] == 7
    assert wire["taskRunList"][0]["taskId"] == "t" and wire["taskRunList"][0]["value"] == "v1"
    assert wire["state"]["current"] == "CREATED" and wire["state"]["histories"]
    assert wire["type"] == "execution" and wire["version"] == 1
    assert Execution.model_validate(wire) == execution
    assert execution.find_task_run(run.id) == run and execution.task_runs_of("t") == [run]


def test_ids_are_22_base62_characters_and_unique() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(each) == 22 and each.isalnum() for each in ids)
