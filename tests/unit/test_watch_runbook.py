"""The API watch's book of a long execution's runs, whatever order the two topics come in."""

from __future__ import annotations

from orchestrator.models.execution import Execution, TaskRun, TaskRunRecord
from orchestrator.models.state import StateType
from orchestrator.webserver.watch import RunBook

EXECUTION = Execution(id="e1", namespace="n", flow_id="f", flow_revision=1)


def _run(run_id: str, state: StateType = StateType.RUNNING) -> TaskRun:
    return TaskRun(
        id=run_id, execution_id="e1", namespace="n", flow_id="f", task_id=run_id
    ).with_state(state)


def _record(run: TaskRun, seq: int, position: int) -> TaskRunRecord:
    return TaskRunRecord(
        execution_id="e1", flow_revision=1, seq=seq, position=position, task_run=run
    )


def _header(seq: int, count: int) -> Execution:
    return EXECUTION.model_copy(update={"seq": seq, "task_run_count": count})


def _whole(seq: int, *runs: TaskRun) -> Execution:
    return EXECUTION.model_copy(update={"seq": seq, "task_run_list": runs})


def test_a_header_gets_the_seed_runs_with_the_later_records_laid_over() -> None:
    book = RunBook()
    book.seed(_whole(3, _run("a"), _run("b")))
    book.learn(_record(_run("b", StateType.SUCCESS), 4, 1))
    book.learn(_record(_run("c"), 4, 2))
    whole = book.whole(_header(4, 3))
    assert [run.id for run in whole.task_run_list] == ["a", "b", "c"]
    assert whole.task_run_list[1].state.current is StateType.SUCCESS
    assert whole.seq == 4 and whole.is_whole


def test_records_read_before_an_older_whole_snapshot_are_kept() -> None:
    book = RunBook()
    book.learn(_record(_run("c"), 5, 2))  # task-runs read ahead of executions
    book.seed(_whole(4, _run("a"), _run("b")))
    assert [run.id for run in book.whole(_header(5, 3)).task_run_list] == ["a", "b", "c"]


def test_records_older_than_the_seed_are_ignored() -> None:
    book = RunBook()
    book.seed(_whole(6, _run("a", StateType.SUCCESS)))
    book.learn(_record(_run("a"), 5, 0))
    assert book.whole(_header(6, 1)).task_run_list[0].state.current is StateType.SUCCESS


def test_a_restart_renumbers_and_the_header_count_cuts_the_removed_runs() -> None:
    book = RunBook()
    book.seed(_whole(2, _run("a"), _run("x"), _run("b")))
    book.forget("x")
    book.learn(_record(_run("a"), 3, 0))
    book.learn(_record(_run("b"), 3, 1))
    assert [run.id for run in book.whole(_header(3, 2)).task_run_list] == ["a", "b"]


def test_runs_read_out_of_position_order_are_placed_once_the_gap_fills() -> None:
    book = RunBook()
    book.learn(_record(_run("b"), 1, 1))
    assert book.whole(_header(1, 2)).task_run_list == ()  # "a" not read yet: no hole shown
    book.learn(_record(_run("a"), 1, 0))
    assert [run.id for run in book.whole(_header(1, 2)).task_run_list] == ["a", "b"]
