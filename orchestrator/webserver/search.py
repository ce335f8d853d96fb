"""Execution search returning whole snapshots, with Kestra's sort keys.

The search runs on the small daily summaries of the range's days; the page's snapshots are
then read by id (one ``mget``), so the cost of a page does not grow with the task runs of
every execution indexed.
"""

from __future__ import annotations

from orchestrator.models.execution import Execution
from orchestrator.repository import ExecutionFilter, Repositories
from orchestrator.repository.admin import translated
from orchestrator.repository.documents import execution_from_document
from orchestrator.repository.indices import IndexKind
from orchestrator.repository.listing import search_page
from orchestrator.repository.query import check_page

KESTRA_SORT_KEYS = {
    "state.startDate": "start",
    "startDate": "start",
    "state.endDate": "end",
    "endDate": "end",
    "state.duration": "duration",
    "state.current": "state",
    "namespace": "namespace",
    "flowId": "flow",
}
"""Kestra's sort keys and this repository's."""


def kestrel_sort(sort: list[str]) -> str:
    """Kestra's first ``key:direction`` sort as the repository's (newest first by default)."""
    if not sort:
        return "start:desc"
    key, _, direction = sort[0].partition(":")
    return f"{KESTRA_SORT_KEYS.get(key, key)}:{direction or 'desc'}"


def search_executions(
    repositories: Repositories,
    criteria: ExecutionFilter,
    page: int,
    size: int,
    sort: list[str],
) -> tuple[list[Execution], int]:
    """One page of whole execution snapshots matching ``criteria``, and the total.

    Raises:
        InvalidQueryError: a bad page or sort.
    """
    start, size = check_page(page, size)
    client = repositories.client
    with translated(client, "searching executions"):
        hits, total = search_page(
            client,
            repositories.names,
            criteria,
            sort=kestrel_sort(sort),
            start=start,
            size=size,
            source=False,
        )
        ids = [hit["_id"] for hit in hits]
        found = (
            client.mget(index=repositories.names.alias(IndexKind.EXECUTIONS), ids=ids).body
            if ids
            else {"docs": []}
        )
    # A summary a moment ahead of its snapshot (same flush, other index): left out this once.
    snapshots = [doc["_source"] for doc in found.get("docs", []) if doc.get("found")]
    return [execution_from_document(source) for source in snapshots], total
