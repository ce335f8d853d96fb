"""The engine shell: the store it is given, the batch overlay, eviction of ended executions."""

from datetime import UTC, datetime

from engine_harness import Harness, load

from executor.engine import EngineSettings
from executor.shell import EngineShell
from executor.store import ExecutionStore
from orchestrator.models.execution import Execution
from orchestrator.models.messages import KillExecution
from orchestrator.models.state import State, StateType
from orchestrator.templating import TemplateRenderer

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_shell_uses_the_store_it_is_given_even_an_empty_one() -> None:
    # An empty store is falsy (it has a length): the processor restored executions into
    # its store while the shell read another one, and ignored every restored execution.
    store = ExecutionStore()
    shell = EngineShell(Harness(), TemplateRenderer(), EngineSettings(), store)
    assert shell.store is store


def test_an_aborted_batch_leaves_the_store_as_it_was() -> None:
    harness = Harness(load("pause-delay"))
    execution_id = harness.create("pause-delay")
    harness.settle(timers=False)
    before = harness.shell.store.get(execution_id)
    assert before is not None and before.state.current is StateType.PAUSED

    harness.shell.apply(KillExecution(execution_id=execution_id), NOW, harness)
    assert harness.shell.execution(execution_id).state.current is StateType.KILLED  # type: ignore[union-attr]
    harness.shell.rollback()

    assert harness.shell.execution(execution_id) == before
    assert harness.shell.store.get(execution_id) == before


def test_an_ended_execution_leaves_the_hot_store_but_can_be_read_back() -> None:
    store = ExecutionStore()
    running = Execution(
        id="e", namespace="n", flow_id="f", flow_revision=1, state=State.of(StateType.RUNNING)
    )
    store.put(running, 0)
    assert store.live == 1
    ended = running.model_copy(
        update={"seq": 2, "state": running.state.with_state(StateType.SUCCESS)}
    )

    store.put(ended, 0)

    assert (store.live, len(store)) == (0, 1)
    assert store.get("e") == ended
    assert list(store.unfinished_attempts()) == []
