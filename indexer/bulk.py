"""One bulk request and what each item's answer means for the indexer.

Per item (``classify``):

- 2xx: written. 409 on a versioned write: an older value than the one indexed, ignored.
  404 on a delete: already gone.
- 429 and 5xx: Elasticsearch is busy or failing: send the item again after a pause.
- ``index_not_found_exception`` (the alias was deleted): re-create the indices, send again.
- Any other error (``document_parsing_exception``, ``mapper_parsing_exception`` ...): the
  document is refused for its content; its record goes to ``dead-letters`` with the reason.

A request that fails as a whole raises ``ElasticsearchUnavailableError`` (unreachable, time
out, 429, 5xx: try again) or ``ElasticsearchRefusedError`` (credentials, a refused request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, helpers

from indexer.es import translate
from indexer.transform import Action

_MAX_REASON = 1000


class ItemStatus(Enum):
    """What happened to one item of a bulk request."""

    WRITTEN = "written"
    STALE = "stale"
    RETRY = "retry"
    MISSING_INDEX = "missing-index"
    REJECTED = "rejected"


def item_reason(item: Mapping[str, Any]) -> str:
    """Elasticsearch's reason for a failed item: ``type: reason (caused by: ...)``."""
    error = item.get("error")
    if not isinstance(error, Mapping):
        return f"status {item.get('status')}: {error}"
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    cause = error.get("caused_by")
    if isinstance(cause, Mapping):
        text += f" (caused by {cause.get('type', '')}: {cause.get('reason', '')})"
    return text[:_MAX_REASON]


def classify(op: str, item: Mapping[str, Any]) -> ItemStatus:
    """What one bulk item's answer means (see the module docstring)."""
    status = int(item.get("status", 0))
    if 200 <= status < 300:
        return ItemStatus.WRITTEN
    if status == 404 and op == "delete" and "error" not in item:
        return ItemStatus.WRITTEN
    error = item.get("error")
    kind = error.get("type") if isinstance(error, Mapping) else None
    if status == 409 and kind == "version_conflict_engine_exception":
        return ItemStatus.STALE
    if kind == "index_not_found_exception":
        return ItemStatus.MISSING_INDEX
    if status == 429 or status >= 500:
        return ItemStatus.RETRY
    return ItemStatus.REJECTED


@dataclass
class BulkOutcome:
    """What a bulk request achieved.

    Attributes:
        written: Items written (deletes of missing documents included).
        stale: Versioned writes older than the indexed document, ignored.
        retry: Actions to send again after a pause.
        missing_index: Some targets did not exist: re-create the indices first.
        rejected: Actions refused for their content, with Elasticsearch's reason.
    """

    written: int = 0
    stale: int = 0
    retry: list[Action] = field(default_factory=list)
    missing_index: bool = False
    rejected: list[tuple[Action, str]] = field(default_factory=list)


def expand(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``helpers.expand_action`` that also passes the per-item ``require_alias`` flag."""
    require_alias = data.pop("require_alias", False)
    header, body = helpers.expand_action(data)
    if require_alias:
        next(iter(header.values()))["require_alias"] = True
    return header, body  # type: ignore[return-value]


def send(client: Elasticsearch, actions: Sequence[Action]) -> BulkOutcome:
    """Send ``actions`` as one bulk request (split only past 100 MiB) and sort the answers.

    Raises:
        ElasticsearchUnavailableError: The request failed as a whole; send it again later.
        ElasticsearchRefusedError: Elasticsearch refused the request for good.
    """
    outcome = BulkOutcome()
    if not actions:
        return outcome
    try:
        answers = list(
            helpers.streaming_bulk(
                client,
                [action.to_bulk() for action in actions],
                chunk_size=len(actions),
                raise_on_error=False,
                raise_on_exception=True,
                max_retries=0,
                expand_action_callback=expand,  # type: ignore[arg-type]
            )
        )
    except (ApiError, TransportError) as exc:
        raise translate(exc, "bulk request") from exc
    for action, (_, answer) in zip(actions, answers, strict=True):
        item = next(iter(answer.values()))
        status = classify(action.op, item)
        if status is ItemStatus.WRITTEN:
            outcome.written += 1
        elif status is ItemStatus.STALE:
            outcome.stale += 1
        elif status is ItemStatus.REJECTED:
            outcome.rejected.append((action, item_reason(item)))
        else:
            outcome.retry.append(action)
            outcome.missing_index |= status is ItemStatus.MISSING_INDEX
    return outcome


def purge_taskruns(client: Elasticsearch, index: str, execution_ids: Sequence[str]) -> None:
    """Delete the task runs of deleted executions from ``index``.

    ``delete_by_query`` only sees searchable documents, so the index is refreshed first: task
    runs written a moment ago (in this very flush) are deleted too.

    Raises:
        ElasticsearchUnavailableError: Try again later.
        ElasticsearchRefusedError: Refused for good.
    """
    try:
        client.indices.refresh(index=index, ignore_unavailable=True, allow_no_indices=True)
        client.delete_by_query(
            index=index,
            query={"terms": {"executionId": list(execution_ids)}},
            conflicts="proceed",
            refresh=True,
            ignore_unavailable=True,
            allow_no_indices=True,
        )
    except (ApiError, TransportError) as exc:
        raise translate(exc, "delete of task runs") from exc
