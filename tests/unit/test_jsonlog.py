"""``--log-format json``: one JSON object per line, with the service and execution."""

from __future__ import annotations

import io
import json
import logging
import threading

from click.testing import CliRunner

from orchestrator.cli.main import cli
from orchestrator.jsonlog import JsonFormatter, service_context


def _capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"kestrel.test.{threading.get_ident()}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_a_line_carries_service_instance_and_execution() -> None:
    logger, stream = _capture()
    with service_context("executor", "executor-0"):
        logger.warning("engine failed on %s", "e1", extra={"execution_id": "e1"})
    logger.info("outside")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "engine failed on e1"
    assert first["level"] == "WARNING"
    assert (first["service"], first["instance_id"], first["execution_id"]) == (
        "executor",
        "executor-0",
        "e1",
    )
    assert first["@timestamp"].endswith("+00:00")
    assert "service" not in second


def test_a_traceback_stays_on_one_line() -> None:
    logger, stream = _capture()
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        logger.exception("failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "ValueError: boom" in json.loads(lines[0])["exception"]


def test_every_service_command_offers_the_json_format() -> None:
    for command in (["executor"], ["worker"], ["indexer"], ["server", "standalone"]):
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert "--log-format [text|json]" in result.output, command
        assert "--management-port" in result.output, command
