"""Elasticsearch client errors as the indexer's errors: wait and retry, or stop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import elasticsearch
from elastic_transport import TransportError
from elasticsearch import ApiError

from indexer.errors import ElasticsearchRefusedError, ElasticsearchUnavailableError
from orchestrator.repository.admin import api_reason

_ResultT = TypeVar("_ResultT")

RETRIABLE_STATUSES = frozenset({408, 429, 502, 503, 504})
"""Whole-request answers that mean 'busy or starting': send the request again later."""


def translate(exc: Exception, what: str = "request") -> Exception:
    """The indexer error for a client error; other exceptions are returned unchanged."""
    if isinstance(
        exc, elasticsearch.AuthenticationException | elasticsearch.AuthorizationException
    ):
        return ElasticsearchRefusedError(f"Elasticsearch refused the {what}: {api_reason(exc)}")
    if isinstance(exc, ApiError):
        if exc.meta.status in RETRIABLE_STATUSES or exc.meta.status >= 500:
            return ElasticsearchUnavailableError(f"{what} failed: {api_reason(exc)}")
        return ElasticsearchRefusedError(f"Elasticsearch refused the {what}: {api_reason(exc)}")
    if isinstance(exc, TransportError):
        reason = exc.message or type(exc).__name__
        return ElasticsearchUnavailableError(f"Elasticsearch unreachable: {reason}")
    return exc


def call_elasticsearch(call: Callable[[], _ResultT], what: str = "request") -> _ResultT:
    """Run ``call``, raising client errors as the indexer's errors.

    Raises:
        ElasticsearchUnavailableError: Unreachable, busy or failing: try again later.
        ElasticsearchRefusedError: Refused for good (credentials, a bad request).
    """
    try:
        return call()
    except (ApiError, TransportError) as exc:
        raise translate(exc, what) from exc
