"""Kafka and Elasticsearch for tests and ``kestrel server local``: external or embedded."""

from orchestrator.backends.embedded import EmbeddedBackends, filter_output, free_port, noida_binary
from orchestrator.backends.errors import BackendError
from orchestrator.backends.resolve import ELASTICSEARCH_ENV, KAFKA_ENV, Backends, resolve_backends

__all__ = [
    "ELASTICSEARCH_ENV",
    "KAFKA_ENV",
    "BackendError",
    "Backends",
    "EmbeddedBackends",
    "filter_output",
    "free_port",
    "noida_binary",
    "resolve_backends",
]
