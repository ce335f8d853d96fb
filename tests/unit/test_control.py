"""Pure parts of the control plane: refusals of replay and labels, editing ``disabled``."""

from datetime import UTC, datetime

import pytest

from orchestrator.control import Action, InvalidFlowError, check_sources, refusal, with_disabled
from orchestrator.models.execution import Execution
from orchestrator.models.state import State, StateType

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def execution(state: StateType) -> Execution:
    return Execution(
        id="e1", namespace="n", flow_id="f", flow_revision=1, state=State.of(state, T0)
    )


@pytest.mark.parametrize("action", [Action.REPLAY, Action.LABEL])
def test_replay_and_labels_need_an_ended_execution(action: Action) -> None:
    assert refusal(action, "e1", execution(StateType.SUCCESS)) is None
    reason = refusal(action, "e1", execution(StateType.RUNNING))
    assert reason is not None and "only an ended execution" in reason
    assert refusal(action, "e2", None) == "execution e2 not found"


def test_with_disabled_replaces_or_appends_the_top_level_property() -> None:
    source = "id: a\nnamespace: n\ntasks: []\n"
    assert with_disabled(source, True) == source + "disabled: true\n"
    assert with_disabled(source + "disabled: true\n", False) == source + "disabled: false\n"
    nested = "id: a\nnamespace: n\ntasks:\n  - id: t\n    disabled: true\n"
    assert with_disabled(nested, True).endswith("    disabled: true\ndisabled: true\n")


def test_check_sources_reports_every_invalid_source_with_lines() -> None:
    with pytest.raises(InvalidFlowError) as raised:
        check_sources([("one.yaml", "id: a\nnamespace: n\ntasks: 3\n"), ("two.yaml", "id: [\n")])
    files = {problem.file for problem in raised.value.problems}
    assert files == {"one.yaml", "two.yaml"}
    assert all(problem.line >= 1 for problem in raised.value.problems)
