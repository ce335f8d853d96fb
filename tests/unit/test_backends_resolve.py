from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import pytest

from orchestrator.backends import BackendError, EmbeddedBackends, filter_output, resolve_backends
from orchestrator.backends import embedded as embedded_module
from orchestrator.backends.embedded import noida_binary


def test_glibc_warning_is_filtered() -> None:
    output = (
        "/x/noida-db: /lib/x86_64-linux-gnu/libc.so.6: weak version `GLIBC_2.39' not found "
        "(required by /x/noida-db)\nerror: kafka: port 9092 is already in use\n"
    )
    assert filter_output(output) == "error: kafka: port 9092 is already in use"


def test_missing_noida_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(package: str) -> None:
        raise ModuleNotFoundError(package)

    monkeypatch.setattr(resources, "files", missing)
    with pytest.raises(BackendError, match=r"kestrelflow\[local\]"):
        noida_binary()
    with pytest.raises(BackendError, match=r"kestrelflow\[local\]"):
        EmbeddedBackends(Path("/nonexistent")).start()


def test_external_backends_that_do_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_embedded(*args: object, **kwargs: object) -> None:
        raise AssertionError("must not start embedded backends when both are named")

    monkeypatch.setattr(embedded_module.EmbeddedBackends, "start", no_embedded)
    environ = {
        "KESTREL_KAFKA_BOOTSTRAP": "127.0.0.1:1",
        "KESTREL_ELASTICSEARCH_URL": "http://127.0.0.1:1",
    }
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"127\.0\.0\.1:1 did not answer"):
        resolve_backends(environ=environ, timeout=0.5)
    assert time.monotonic() - started < 5


def test_addresses_need_a_started_service(tmp_path: Path) -> None:
    only_kafka = EmbeddedBackends(tmp_path, elasticsearch=False)
    with pytest.raises(BackendError, match="not enabled"):
        _ = only_kafka.elasticsearch_url
    with pytest.raises(ValueError):
        EmbeddedBackends(tmp_path, kafka=False, elasticsearch=False)
