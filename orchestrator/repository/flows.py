"""Search flows, their revisions and their triggers' states."""

from __future__ import annotations

import elasticsearch
from elasticsearch import Elasticsearch

from orchestrator.models.messages import FlowRecord, TriggerState
from orchestrator.repository.admin import translated
from orchestrator.repository.documents import flow_from_document, trigger_from_document
from orchestrator.repository.indices import IndexKind, IndexNames
from orchestrator.repository.query import (
    Page,
    Query,
    bool_query,
    check_page,
    contains,
    namespace_filter,
    sources,
    total_hits,
)


def flow_query(
    namespace: str | None = None, text: str | None = None, include_deleted: bool = False
) -> Query:
    """Flows in ``namespace`` (and below) whose id contains, or source mentions, ``text``."""
    filters: list[Query | None] = [namespace_filter(namespace) if namespace else None]
    if text:
        filters.append(
            {
                "bool": {
                    "should": [
                        contains("id", text),
                        {"match": {"description": text}},
                        {"match": {"source": {"query": text, "operator": "and"}}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    if not include_deleted:
        filters.append({"bool": {"must_not": [{"term": {"deleted": True}}]}})
    return bool_query(filters)


class FlowRepository:
    """Flows, flow revisions and trigger states as the indexer mirrored them."""

    def __init__(self, client: Elasticsearch, names: IndexNames) -> None:
        """Search through ``client`` in the indices named by ``names``."""
        self._client = client
        self._flows = names.search_target(IndexKind.FLOWS)
        self._revisions = names.search_target(IndexKind.FLOW_REVISIONS)
        self._triggers = names.search_target(IndexKind.TRIGGERS)

    def find(
        self,
        namespace: str | None = None,
        text: str | None = None,
        *,
        include_deleted: bool = False,
        page: int = 1,
        size: int = 50,
    ) -> Page[FlowRecord]:
        """Latest flows, by namespace then id."""
        start, size = check_page(page, size)
        with translated(self._client, "searching flows"):
            response = self._client.search(
                index=self._flows,
                query=flow_query(namespace, text, include_deleted),
                sort=[{"namespace": "asc"}, {"id": "asc"}],
                from_=start,
                size=size,
                track_total_hits=True,
                ignore_unavailable=True,
            ).body
        items = [flow_from_document(source) for source in sources(response)]
        return Page(items, total_hits(response), page, size)

    def get(self, namespace: str, flow_id: str) -> FlowRecord | None:
        """The latest revision of a flow (deleted ones too), or None."""
        with translated(self._client, f"reading flow {namespace}.{flow_id}"):
            try:
                response = self._client.get(index=self._flows, id=f"{namespace}/{flow_id}").body
            except elasticsearch.NotFoundError:
                return None
        return flow_from_document(response["_source"])

    def revisions(self, namespace: str, flow_id: str, *, size: int = 1000) -> list[FlowRecord]:
        """Every indexed revision of a flow, oldest first."""
        query = {
            "bool": {"filter": [{"term": {"namespace": namespace}}, {"term": {"id": flow_id}}]}
        }
        with translated(self._client, f"reading revisions of {namespace}.{flow_id}"):
            response = self._client.search(
                index=self._revisions,
                query=query,
                sort=[{"revision": "asc"}],
                size=min(size, 10_000),
                ignore_unavailable=True,
            ).body
        return [flow_from_document(source) for source in sources(response)]

    def triggers(
        self, namespace: str | None = None, flow_id: str | None = None, *, size: int = 1000
    ) -> list[TriggerState]:
        """Trigger states, by namespace, flow and trigger id."""
        filters: list[Query | None] = [
            namespace_filter(namespace) if namespace else None,
            {"term": {"flowId": flow_id}} if flow_id else None,
        ]
        with translated(self._client, "searching triggers"):
            response = self._client.search(
                index=self._triggers,
                query=bool_query(filters),
                sort=[{"namespace": "asc"}, {"flowId": "asc"}, {"triggerId": "asc"}],
                size=min(size, 10_000),
                ignore_unavailable=True,
            ).body
        return [trigger_from_document(source) for source in sources(response)]
