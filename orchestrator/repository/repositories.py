"""Every repository over one Elasticsearch client, built from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from elasticsearch import Elasticsearch

from orchestrator.repository.admin import make_client, names_for
from orchestrator.repository.executions import ExecutionRepository
from orchestrator.repository.flows import FlowRepository
from orchestrator.repository.indices import IndexNames
from orchestrator.repository.logs import LogRepository
from orchestrator.repository.stats import StatsRepository
from orchestrator.settings import KestrelSettings


@dataclass(frozen=True)
class Repositories:
    """The repositories of one Kestrel install (``with`` closes the client)."""

    client: Elasticsearch
    names: IndexNames
    executions: ExecutionRepository
    logs: LogRepository
    flows: FlowRepository
    stats: StatsRepository

    @classmethod
    def create(cls, client: Elasticsearch, names: IndexNames) -> Repositories:
        """Build every repository over ``client``."""
        return cls(
            client,
            names,
            ExecutionRepository(client, names),
            LogRepository(client, names),
            FlowRepository(client, names),
            StatsRepository(client, names),
        )

    @classmethod
    def from_settings(cls, settings: KestrelSettings) -> Repositories:
        """Build every repository for ``settings.elasticsearch``."""
        return cls.create(make_client(settings), names_for(settings))

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def __enter__(self) -> Repositories:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
