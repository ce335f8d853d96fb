"""Route librdkafka's own log lines to Python logging instead of stderr."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

LIBRDKAFKA_LOGGER = logging.getLogger("kestrel.kafka.librdkafka")
"""librdkafka's messages (connection failures, rebalances ...), served when a client polls."""


def with_logger(config: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``config`` plus the ``logger`` that sends librdkafka's lines to Python logging."""
    return {**config, "logger": LIBRDKAFKA_LOGGER}
