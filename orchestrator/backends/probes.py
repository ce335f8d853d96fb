"""Wait until Kafka and Elasticsearch really answer, within a bounded time."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import confluent_kafka
from confluent_kafka.admin import AdminClient

_QUIET = logging.getLogger("kestrel.backends.probe")
# Connection refused is the expected answer while a server starts: keep it out of any log.
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def kafka_answers(bootstrap: str, timeout: float) -> bool:
    """Return whether a broker at ``bootstrap`` returns cluster metadata within ``timeout``."""
    config: dict[str, Any] = {"bootstrap.servers": bootstrap, "logger": _QUIET}
    admin = AdminClient(config)
    try:
        admin.list_topics(timeout=timeout)
    except confluent_kafka.KafkaException:
        return False
    finally:
        admin.poll(0)
    return True


def elasticsearch_answers(url: str, timeout: float) -> bool:
    """Return whether ``GET /`` on ``url`` answers within ``timeout`` (401/403 count: it runs)."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/", timeout=timeout) as response:
            return int(response.status) == 200
    except urllib.error.HTTPError as exc:
        return exc.code in (401, 403)  # up, but wants credentials the probe does not send
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until(
    check: Callable[[float], bool],
    deadline: float,
    *,
    alive: Callable[[], bool] = lambda: True,
    interval: float = 0.05,
) -> bool:
    """Call ``check(time_left)`` until it is true, the deadline passes or ``alive()`` is false.

    Args:
        check: Gets the seconds left (capped at 1 s), returns True when ready.
        deadline: ``time.monotonic()`` value after which to give up.
        alive: False stops the wait early (the process being waited on exited).
        interval: Pause between failed checks.
    """
    while alive():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if check(min(left, 1.0)):
            return True
        time.sleep(min(interval, max(deadline - time.monotonic(), 0)))
    return False
