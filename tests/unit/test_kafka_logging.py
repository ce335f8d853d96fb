"""librdkafka's log lines: through Python logging, deduplicated, WARNING at most."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.kafka._logging import LIBRDKAFKA_LOGGER, LibrdkafkaLog, with_logger

ROOT = Path(__file__).resolve().parents[2]
KESTREL = "from orchestrator.cli.main import main; main()"
FAIL_LINE = (
    "127.0.0.1:9/bootstrap: Connect to ipv4#127.0.0.1:9 failed: Connection refused "
    "(after {}ms in state CONNECT)"
)


def _emit(log: LibrdkafkaLog, level: int, facility: str, text: str) -> None:
    # The call confluent-kafka makes: logger.log(level, "%s [%s] %s", fac, name, buf).
    log.log(level, "%s [%s] %s", facility, "rdkafka#producer-1", text)


def test_repeated_lines_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    log = LibrdkafkaLog(window=60.0)
    with caplog.at_level(logging.DEBUG, logger=LIBRDKAFKA_LOGGER.name):
        for millis in range(50):
            _emit(log, logging.ERROR, "FAIL", FAIL_LINE.format(millis))
    shown = [record for record in caplog.records if record.levelno > logging.DEBUG]
    assert len(shown) == 1
    assert "Connection refused" in shown[0].getMessage()


def test_levels_are_capped_at_warning(caplog: pytest.LogCaptureFixture) -> None:
    log = LibrdkafkaLog()
    with caplog.at_level(logging.DEBUG, logger=LIBRDKAFKA_LOGGER.name):
        _emit(log, logging.CRITICAL, "SSL", "handshake failed")
        _emit(log, logging.ERROR, "CONFWARN", "property ignored")
    assert [record.levelno for record in caplog.records] == [logging.WARNING] * 2


def test_connection_failures_stay_below_warning(caplog: pytest.LogCaptureFixture) -> None:
    # librdkafka retries them; the client wrapper raises a typed error naming the broker.
    log = LibrdkafkaLog()
    with caplog.at_level(logging.DEBUG, logger=LIBRDKAFKA_LOGGER.name):
        _emit(log, logging.ERROR, "FAIL", FAIL_LINE.format(0))
    assert [record.levelno for record in caplog.records] == [logging.INFO]


def test_a_line_is_shown_again_after_the_window(caplog: pytest.LogCaptureFixture) -> None:
    log = LibrdkafkaLog(window=0.01)
    with caplog.at_level(logging.DEBUG, logger=LIBRDKAFKA_LOGGER.name):
        _emit(log, logging.WARNING, "REQTMOUT", "timed out 1 in-flight request")
        time.sleep(0.02)
        _emit(log, logging.WARNING, "REQTMOUT", "timed out 3 in-flight requests")
    shown = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(shown) == 2


def test_with_logger_gives_each_client_its_own_deduplication() -> None:
    first, second = with_logger({"a": 1})["logger"], with_logger({"a": 1})["logger"]
    assert isinstance(first, LibrdkafkaLog)
    assert first is not second


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_deploy_to_an_unreachable_broker_prints_one_clear_line() -> None:
    address = f"127.0.0.1:{_closed_port()}"
    env = {
        **os.environ,
        "KESTREL_KAFKA_BOOTSTRAP": address,
        "KESTREL_KAFKA__ADMIN_TIMEOUT": "3",
    }
    env.pop("KESTREL_CONFIG", None)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", KESTREL, "flow", "deploy", "examples/"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and address in lines[0]
    assert "FAIL" not in result.stderr and "Connection refused" not in result.stderr
    assert elapsed < 30
