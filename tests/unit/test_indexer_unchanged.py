from indexer.transform import Action
from indexer.unchanged import UnchangedFilter

TASKRUNS = "kestrel-taskruns"


def _doc(run_id: str, state: str, seq: int) -> Action:
    return Action(op="index", index=TASKRUNS, id=run_id, source={"state": state}, version=seq)


def test_unchanged_task_run_documents_are_skipped_once_written() -> None:
    unchanged = UnchangedFilter(TASKRUNS)
    first = [_doc("r1", "RUNNING", 3), _doc("r2", "CREATED", 3)]
    assert unchanged.changed(first) == first  # nothing written yet
    unchanged.remember(first)
    again = [_doc("r1", "RUNNING", 5), _doc("r2", "SUCCESS", 5)]
    assert [a.id for a in unchanged.changed(again)] == ["r2"]  # only r2 changed
    execution = Action(op="index", index="kestrel-executions", id="e1", source={}, version=5)
    assert unchanged.changed([execution]) == [execution]  # other indices always go
    unchanged.forget_all()
    assert unchanged.changed(again) == again


def test_a_refused_document_is_not_remembered() -> None:
    unchanged = UnchangedFilter(TASKRUNS)
    doc = _doc("r1", "RUNNING", 3)
    unchanged.remember([])  # the bulk refused it
    assert unchanged.changed([doc]) == [doc]
