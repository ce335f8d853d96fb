"""Create and inspect Kestrel's indices: templates, aliases, physical and daily indices.

Used by the indexer (ensure on start, rebuild, purge) and by the repository (errors).
Every call is idempotent and safe to run from several processes at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

import elasticsearch
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch

from orchestrator.repository.errors import (
    IndexLayoutError,
    SearchFailedError,
    SearchUnavailableError,
)
from orchestrator.repository.indices import ALIASED_KINDS, IndexKind, IndexNames
from orchestrator.repository.mappings import index_template
from orchestrator.settings import ElasticsearchSettings, KestrelSettings


def make_client(
    settings: ElasticsearchSettings | KestrelSettings, **overrides: Any
) -> Elasticsearch:
    """Return an Elasticsearch client for ``settings`` (``overrides`` go to the client)."""
    section = settings.elasticsearch if isinstance(settings, KestrelSettings) else settings
    return Elasticsearch(**{**section.client_kwargs(), **overrides})


def names_for(settings: ElasticsearchSettings | KestrelSettings) -> IndexNames:
    """Index names under the configured prefix."""
    section = settings.elasticsearch if isinstance(settings, KestrelSettings) else settings
    return IndexNames(section.index_prefix)


def api_reason(exc: ApiError) -> str:
    """Elasticsearch's own reason for a refused request (``type: reason``)."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict):
        kind, reason = error.get("type", ""), error.get("reason", "")
        return f"{kind}: {reason}" if kind else str(reason)
    return f"HTTP {exc.meta.status}: {exc.message}"


def error_type(exc: ApiError) -> str | None:
    """The ``error.type`` of a refused request, if Elasticsearch sent one."""
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    return str(error.get("type")) if isinstance(error, dict) else None


@contextmanager
def translated(client: Elasticsearch, what: str) -> Iterator[None]:
    """Turn client errors raised inside the block into repository errors with a clear message.

    Raises:
        SearchUnavailableError: Unreachable, timed out, or credentials refused.
        SearchFailedError: Elasticsearch refused the request.
    """
    try:
        yield
    except (elasticsearch.AuthenticationException, elasticsearch.AuthorizationException) as exc:
        raise SearchUnavailableError(_url(client), api_reason(exc)) from exc
    except ApiError as exc:
        raise SearchFailedError(what, api_reason(exc)) from exc
    except TransportError as exc:
        raise SearchUnavailableError(_url(client), exc.message or type(exc).__name__) from exc


def _url(client: Elasticsearch) -> str:
    nodes = client.transport.node_pool.all()
    return str(nodes[0].base_url) if nodes else "?"


def ensure_templates(
    client: Elasticsearch, names: IndexNames, kinds: Iterable[IndexKind] = tuple(IndexKind)
) -> None:
    """Create or update the index template of each kind (applies to indices created later)."""
    for kind in kinds:
        client.indices.put_index_template(**index_template(names, kind))


def physical_indices(client: Elasticsearch, names: IndexNames, kind: IndexKind) -> list[str]:
    """Physical indices of an aliased kind, oldest first."""
    found = client.indices.get_alias(index=names.pattern(kind), allow_no_indices=True)
    numbered = [(names.number_of(kind, index), index) for index in found]
    return [index for number, index in sorted((n, i) for n, i in numbered if n is not None)]


def alias_targets(client: Elasticsearch, names: IndexNames, kind: IndexKind) -> list[str]:
    """Indices the alias of ``kind`` points to (empty when the alias is missing)."""
    alias = names.alias(kind)
    if not client.indices.exists_alias(name=alias):
        return []
    return sorted(client.indices.get_alias(name=alias))


def next_physical(client: Elasticsearch, names: IndexNames, kind: IndexKind) -> str:
    """Name of the next physical index of ``kind`` (one above the highest existing)."""
    numbers = [names.number_of(kind, i) or 0 for i in physical_indices(client, names, kind)]
    return names.physical(kind, max(numbers, default=0) + 1)


def create_index(client: Elasticsearch, index: str, aliases: Iterable[str] = ()) -> bool:
    """Create ``index`` (mapped by its template) with ``aliases``; False if it already existed."""
    try:
        client.indices.create(index=index, aliases={alias: {} for alias in aliases})
    except elasticsearch.BadRequestError as exc:
        if error_type(exc) == "resource_already_exists_exception":
            return False
        raise
    return True


def ensure_indices(
    client: Elasticsearch, names: IndexNames, kinds: Iterable[IndexKind] = tuple(IndexKind)
) -> list[str]:
    """Put the templates and give each aliased kind its alias over a physical index.

    Daily indices need nothing more: Elasticsearch creates them from their template at the
    first write.

    Returns:
        The physical indices this call created.

    Raises:
        IndexLayoutError: A concrete index holds an alias's name (left by something else).
    """
    wanted = tuple(kinds)
    ensure_templates(client, names, wanted)
    created = []
    for kind in wanted:
        if kind not in ALIASED_KINDS:
            continue
        alias = names.alias(kind)
        if client.indices.exists_alias(name=alias):
            continue
        if client.indices.exists(index=alias):
            raise IndexLayoutError(
                f"{alias} is an index, not the alias Kestrel expects; run "
                f"`kestrel indexer rebuild --index {kind}` to move it behind an alias"
            )
        index = next_physical(client, names, kind)
        if create_index(client, index, [alias]):
            created.append(index)
    return created


def swap_aliases(
    client: Elasticsearch, names: IndexNames, targets: Mapping[IndexKind, str]
) -> dict[IndexKind, list[str]]:
    """Point each kind's alias at its new index alone, all in one atomic request.

    A concrete index that holds an alias's name is removed in the same request.

    Returns:
        The indices each alias pointed to before.
    """
    actions: list[dict[str, Any]] = []
    former: dict[IndexKind, list[str]] = {}
    for kind, index in targets.items():
        alias = names.alias(kind)
        current = alias_targets(client, names, kind)
        former[kind] = [old for old in current if old != index]
        actions += [{"remove": {"index": old, "alias": alias}} for old in former[kind]]
        if not current and client.indices.exists(index=alias):  # an index holds the name
            actions.append({"remove_index": {"index": alias}})
        actions.append({"add": {"index": index, "alias": alias}})
    client.indices.update_aliases(actions=actions)
    return former


def daily_indices(
    client: Elasticsearch, names: IndexNames, kind: IndexKind
) -> list[tuple[str, date]]:
    """Daily indices of ``kind`` with their day, oldest first."""
    found = client.indices.get_alias(index=names.pattern(kind), allow_no_indices=True)
    dated = [(index, names.day_of(kind, index)) for index in found]
    return sorted(((i, d) for i, d in dated if d is not None), key=lambda item: item[1])


def delete_indices(client: Elasticsearch, indices: Iterable[str]) -> None:
    """Delete indices by exact name (wildcard deletes are refused by default in Elasticsearch)."""
    chosen = list(indices)
    for start in range(0, len(chosen), 50):
        client.indices.delete(index=",".join(chosen[start : start + 50]), ignore_unavailable=True)
