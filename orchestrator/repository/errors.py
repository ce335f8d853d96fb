"""Errors of the repository layer: what a user sees when a search cannot be answered."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class RepositoryError(OrchestratorError):
    """Root of the repository's errors."""


class SearchUnavailableError(RepositoryError):
    """Elasticsearch cannot be reached, or refuses Kestrel's credentials."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"Elasticsearch at {url} cannot answer: {reason}. Check that it runs and that "
            "elasticsearch.url (KESTREL_ELASTICSEARCH_URL) and its credentials are right."
        )
        self.url = url
        self.reason = reason


class SearchFailedError(RepositoryError):
    """Elasticsearch refused a request (a bad query, a broken index)."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what} failed: {reason}")
        self.what = what
        self.reason = reason


class NotFoundError(RepositoryError):
    """The execution, flow or index asked for does not exist."""

    exit_code = 1


class IndexLayoutError(RepositoryError):
    """An index is not laid out as Kestrel expects (a concrete index where an alias belongs)."""


class InvalidQueryError(RepositoryError, ValueError):
    """A search asks for something the repository cannot answer (a bad page, sort or field)."""
