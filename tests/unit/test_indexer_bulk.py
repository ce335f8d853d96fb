from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, ConnectionError, HttpHeaders, NodeConfig
from elasticsearch import ApiError, AuthenticationException
from indexer_samples import snapshots

import indexer.bulk as bulk
from indexer.bulk import ItemStatus, classify, expand, item_reason, send
from indexer.deadletters import build_dead_letters
from indexer.errors import ElasticsearchRefusedError, ElasticsearchUnavailableError, GaveUpError
from indexer.retry import Backoff
from indexer.transform import Action
from orchestrator.kafka import Record, encode


def meta(status: int) -> ApiResponseMeta:
    return ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "localhost", 9200))


@pytest.mark.parametrize(
    ("op", "item", "expected"),
    [
        ("index", {"status": 201, "result": "created"}, ItemStatus.WRITTEN),
        ("delete", {"status": 404, "result": "not_found"}, ItemStatus.WRITTEN),
        (
            "index",
            {"status": 409, "error": {"type": "version_conflict_engine_exception"}},
            ItemStatus.STALE,
        ),
        (
            "index",
            {"status": 429, "error": {"type": "es_rejected_execution_exception"}},
            ItemStatus.RETRY,
        ),
        (
            "index",
            {"status": 503, "error": {"type": "unavailable_shards_exception"}},
            ItemStatus.RETRY,
        ),
        (
            "delete",
            {"status": 404, "error": {"type": "index_not_found_exception"}},
            ItemStatus.MISSING_INDEX,
        ),
        (
            "index",
            {"status": 400, "error": {"type": "document_parsing_exception"}},
            ItemStatus.REJECTED,
        ),
        (
            "index",
            {"status": 400, "error": {"type": "mapper_parsing_exception"}},
            ItemStatus.REJECTED,
        ),
    ],
)
def test_classify_bulk_items(op: str, item: dict[str, Any], expected: ItemStatus) -> None:
    assert classify(op, item) is expected


def test_item_reason_keeps_elasticsearch_words_and_cause() -> None:
    item = {
        "status": 400,
        "error": {
            "type": "document_parsing_exception",
            "reason": "failed to parse field [flowRevision] of type [integer]",
            "caused_by": {"type": "input_coercion_exception", "reason": "out of range"},
        },
    }
    reason = item_reason(item)
    assert reason.startswith("document_parsing_exception: failed to parse field [flowRevision]")
    assert "caused by input_coercion_exception: out of range" in reason


def test_expand_puts_require_alias_in_the_action_line() -> None:
    action = Action("index", "kes-executions", "e1", {"a": 1}, version=4, require_alias=True)
    header, body = expand(action.to_bulk())
    assert header == {
        "index": {
            "_index": "kes-executions",
            "_id": "e1",
            "version": 4,
            "version_type": "external",
            "require_alias": True,
        }
    }
    assert body == {"a": 1}


def _answers(items: list[dict[str, Any]]) -> Any:
    def fake(client: Any, actions: Any, **kwargs: Any) -> Iterator[tuple[bool, dict[str, Any]]]:
        assert kwargs["chunk_size"] == len(items)  # one request for the whole flush
        assert kwargs["raise_on_error"] is False
        for item in items:
            yield 200 <= item["status"] < 300, {"index": item}

    return fake


def test_send_sorts_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    actions = [Action("index", "i", str(n), {}, record=None) for n in range(4)]
    items = [
        {"status": 201},
        {"status": 409, "error": {"type": "version_conflict_engine_exception"}},
        {"status": 429, "error": {"type": "es_rejected_execution_exception"}},
        {"status": 400, "error": {"type": "document_parsing_exception", "reason": "bad"}},
    ]
    monkeypatch.setattr(bulk.helpers, "streaming_bulk", _answers(items))
    outcome = send(object(), actions)  # type: ignore[arg-type]
    assert (outcome.written, outcome.stale) == (1, 1)
    assert outcome.retry == [actions[2]] and not outcome.missing_index
    assert outcome.rejected == [(actions[3], "document_parsing_exception: bad")]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionError("refused"), ElasticsearchUnavailableError),
        (ApiError("busy", meta(429), {"error": {"type": "x"}}), ElasticsearchUnavailableError),
        (ApiError("down", meta(503), {}), ElasticsearchUnavailableError),
        (AuthenticationException("no", meta(401), {}), ElasticsearchRefusedError),
        (
            ApiError("bad", meta(400), {"error": {"type": "parse_exception"}}),
            ElasticsearchRefusedError,
        ),
    ],
)
def test_whole_request_failures_are_typed(
    monkeypatch: pytest.MonkeyPatch, error: Exception, expected: type[Exception]
) -> None:
    def failing(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise error
        yield  # pragma: no cover

    monkeypatch.setattr(bulk.helpers, "streaming_bulk", failing)
    with pytest.raises(expected):
        send(object(), [Action("delete", "i", "1")])  # type: ignore[arg-type]


def test_nothing_to_send_sends_nothing() -> None:
    assert send(object(), []).written == 0  # type: ignore[arg-type]


def test_backoff_doubles_up_to_its_maximum_then_gives_up() -> None:
    now = [0.0]
    backoff = Backoff(0.5, 4.0, give_up_after=10.0, clock=lambda: now[0])
    delays = []
    for _ in range(5):
        delays.append(backoff.next_delay("down"))
        now[0] += delays[-1]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0]
    now[0] = 11.0
    with pytest.raises(GaveUpError, match="gave up after 11 s"):
        backoff.next_delay("still down")
    backoff.reset()
    assert backoff.next_delay("again") == 0.5


def test_backoff_without_limit_never_gives_up() -> None:
    now = [0.0]
    backoff = Backoff(1.0, 2.0, clock=lambda: now[0])
    for _ in range(100):
        now[0] += 1000
        assert backoff.next_delay("down") <= 2.0


def test_dead_letters_one_per_record_with_the_reason_and_bounded_size() -> None:
    value = encode(snapshots("d1")[0])
    small = Record("kestrel.executions", 1, 5, b"d1", value)
    huge = Record("kestrel.logs", 0, 9, b"d2", b"x" * 20_000)
    letters = build_dead_letters(
        [(small, "document_parsing_exception: bad"), (small, "second reason"), (huge, "no")],
        max_bytes=10_000,
    )
    assert len(letters) == 2
    first, second = letters
    assert (first.topic, first.partition, first.offset, first.key) == (
        "kestrel.executions",
        1,
        5,
        "d1",
    )
    assert first.value == value.decode() and first.error == "document_parsing_exception: bad"
    assert first.service == "indexer"
    assert second.value is None and "too large" in second.error
    assert (second.topic, second.offset) == ("kestrel.logs", 9)
