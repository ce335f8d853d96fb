"""The labels command replaces an ended execution's labels, keeping the system ones."""

from engine_harness import Harness, load

from orchestrator.models.labels import Label
from orchestrator.models.messages import SetExecutionLabels
from orchestrator.models.state import StateType


def test_labels_are_replaced_and_system_labels_kept() -> None:
    harness = Harness(load("restart"))
    failed = harness.run("restart")
    assert failed.state.current is StateType.FAILED
    before = failed.seq

    harness.apply(
        SetExecutionLabels(
            execution_id=failed.id,
            labels=(Label(key="env", value="prod"), Label(key="system.correlationId", value="x")),
        )
    )

    execution = harness.execution(failed.id)
    labels = {(label.key, label.value) for label in execution.labels}
    assert ("env", "prod") in labels
    assert ("system.correlationId", failed.id) in labels  # not the caller's
    assert execution.seq > before
    assert execution.state.current is StateType.FAILED
