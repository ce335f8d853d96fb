"""Pick the backends: the ones named by the environment, else embedded ones."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.backends.embedded import EmbeddedBackends
from orchestrator.backends.errors import BackendError
from orchestrator.backends.probes import elasticsearch_answers, kafka_answers, wait_until

KAFKA_ENV = "KESTREL_KAFKA_BOOTSTRAP"
ELASTICSEARCH_ENV = "KESTREL_ELASTICSEARCH_URL"


@dataclass
class Backends:
    """Addresses of the Kafka and Elasticsearch in use, and the embedded server if one runs.

    Attributes:
        embedded: The noida-db server started for these backends, or None when both are
            external.
    """

    kafka_bootstrap: str
    elasticsearch_url: str
    embedded: EmbeddedBackends | None = None
    _temporary_dir: Path | None = field(default=None, repr=False)

    def __enter__(self) -> Backends:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_ready(self, timeout: float) -> None:
        """Wait until both answer.

        Raises:
            BackendError: One did not answer within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        if not wait_until(lambda left: kafka_answers(self.kafka_bootstrap, left), deadline):
            raise BackendError(
                f"Kafka at {self.kafka_bootstrap} did not answer within {timeout:g} s "
                f"(check {KAFKA_ENV} and that the broker runs)"
            )
        if not wait_until(
            lambda left: elasticsearch_answers(self.elasticsearch_url, left), deadline
        ):
            raise BackendError(
                f"Elasticsearch at {self.elasticsearch_url} did not answer within {timeout:g} s "
                f"(check {ELASTICSEARCH_ENV} and that it runs)"
            )

    def stop(self) -> None:
        """Stop the embedded server, if any (external backends are left alone)."""
        if self.embedded is not None:
            self.embedded.stop()
        if self._temporary_dir is not None:
            shutil.rmtree(self._temporary_dir, ignore_errors=True)
            self._temporary_dir = None


def resolve_backends(
    data_dir: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Backends:
    """Return running backends: those named by the environment, else embedded ones.

    ``KESTREL_KAFKA_BOOTSTRAP`` and ``KESTREL_ELASTICSEARCH_URL`` name external servers; the
    side that is not named is started embedded (noida-db). Call ``stop()`` when done.

    Args:
        data_dir: Data directory of the embedded server; None uses a temporary directory
            removed by ``stop()``.
        environ: Environment to read (default ``os.environ``).
        timeout: Seconds allowed until every backend answers.

    Raises:
        BackendError: An external backend does not answer, or the embedded one cannot start
            (for example noida-db is not installed).
    """
    env = os.environ if environ is None else environ
    kafka = env.get(KAFKA_ENV) or None
    elasticsearch = env.get(ELASTICSEARCH_ENV) or None
    if kafka and elasticsearch:
        backends = Backends(kafka, elasticsearch)
        backends.wait_ready(timeout)
        return backends
    temporary = None
    if data_dir is None:
        temporary = data_dir = Path(tempfile.mkdtemp(prefix="kestrel-backends-"))
    embedded = EmbeddedBackends(
        data_dir, kafka=kafka is None, elasticsearch=elasticsearch is None, startup_timeout=timeout
    )
    try:
        embedded.start()
        backends = Backends(
            kafka or embedded.kafka_bootstrap,
            elasticsearch or embedded.elasticsearch_url,
            embedded,
            temporary,
        )
        backends.wait_ready(timeout)
    except BaseException:
        embedded.stop()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        raise
    return backends
