"""Service processes hand the interpreter over sooner than Python's default (5 ms)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest

from orchestrator.cli.management import start_service_command
from orchestrator.settings import load_settings


@pytest.fixture
def restored_interval() -> Iterator[None]:
    """Put back the interval and the root logger the service command set up."""
    before = sys.getswitchinterval()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    sys.setswitchinterval(before)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_interval")
def test_a_service_command_sets_the_configured_switch_interval() -> None:
    settings = load_settings(runtime={"switch_interval": 0.002}, management={"enabled": False})
    start_service_command(settings, None, verbose=False, log_format="text")
    assert sys.getswitchinterval() == pytest.approx(0.002)


def test_the_default_is_shorter_than_pythons() -> None:
    assert load_settings().runtime.switch_interval < 0.005
