"""The admission owner of a flow, as a pure function of its slots."""

from executor.engine.admission import admit_request, release
from orchestrator.models.concurrency import FlowSlots, SlotRelease, SlotRequest
from orchestrator.models.flow import ConcurrencyBehavior
from orchestrator.models.messages import SlotOutcome

FLOW = {"namespace": "company.team", "flow_id": "etl"}


def _request(execution_id: str, limit: int = 2, behavior: str = "QUEUE") -> SlotRequest:
    return SlotRequest(
        **FLOW, execution_id=execution_id, limit=limit, behavior=ConcurrencyBehavior(behavior)
    )


def _apply_all(requests: list[SlotRequest]) -> tuple[FlowSlots | None, list[tuple[str, str]]]:
    slots, answers = None, []
    for request in requests:
        admission = admit_request(slots, request)
        slots = admission.slots or slots
        answers += [(d.execution_id, d.outcome.value) for d in admission.decisions]
    return slots, answers


def test_grants_up_to_the_limit_then_queues_in_arrival_order() -> None:
    slots, answers = _apply_all([_request(each) for each in "abcd"])

    assert answers == [("a", "GRANTED"), ("b", "GRANTED"), ("c", "QUEUED"), ("d", "QUEUED")]
    assert slots is not None
    assert (slots.running, slots.queued) == (("a", "b"), ("c", "d"))


def test_a_release_grants_the_oldest_queued_execution() -> None:
    slots, _ = _apply_all([_request(each) for each in "abcd"])

    admission = release(slots, SlotRelease(**FLOW, execution_id="b"))

    assert admission.slots is not None
    assert (admission.slots.running, admission.slots.queued) == (("a", "c"), ("d",))
    assert [(d.execution_id, d.outcome) for d in admission.decisions] == [
        ("c", SlotOutcome.GRANTED)
    ]


def test_repeated_requests_and_releases_change_nothing() -> None:
    slots, _ = _apply_all([_request(each) for each in "abc"])

    again = admit_request(slots, _request("a"))
    assert again.slots is None and [d.outcome for d in again.decisions] == [SlotOutcome.GRANTED]
    queued_again = admit_request(slots, _request("c"))
    assert queued_again.slots is None
    assert [d.outcome for d in queued_again.decisions] == [SlotOutcome.QUEUED]

    freed = release(slots, SlotRelease(**FLOW, execution_id="a"))
    assert freed.slots is not None
    twice = release(freed.slots, SlotRelease(**FLOW, execution_id="a"))
    assert twice.slots is None and twice.decisions == []


def test_a_release_of_a_queued_execution_only_removes_it() -> None:
    slots, _ = _apply_all([_request(each) for each in "abcd"])

    admission = release(slots, SlotRelease(**FLOW, execution_id="c"))

    assert admission.slots is not None
    assert (admission.slots.running, admission.slots.queued) == (("a", "b"), ("d",))
    assert admission.decisions == []


def test_cancel_and_fail_refuse_beyond_the_limit_without_holding_anything() -> None:
    for behavior, outcome in (("CANCEL", "CANCELLED"), ("FAIL", "FAILED")):
        slots, answers = _apply_all([_request(each, 1, behavior) for each in "ab"])
        assert answers == [("a", "GRANTED"), ("b", outcome)]
        assert slots is not None and (slots.running, slots.queued) == (("a",), ())


def test_a_raised_limit_starts_queued_executions() -> None:
    slots, _ = _apply_all([_request(each, 1) for each in "abc"])

    admission = admit_request(slots, _request("d", 3))

    assert admission.slots is not None
    assert admission.slots.running == ("a", "b", "c")
    assert admission.slots.queued == ("d",)
    assert [(d.execution_id, d.outcome.value) for d in admission.decisions] == [
        ("d", "QUEUED"),
        ("b", "GRANTED"),
        ("c", "GRANTED"),
    ]
