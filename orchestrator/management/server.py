"""The management HTTP server of a Kestrel process: health probes and Prometheus metrics.

Paths:

- ``/health/liveness``: 200 while every service loop of the process turns; 503 when one is
  stuck (Kubernetes restarts the pod).
- ``/health/readiness``: 200 once every service has its partitions assigned and restored;
  503 before, and while stopping.
- ``/health``: both, with the status of each service, as JSON.
- ``/metrics``: every metric in Prometheus' text format (``prometheus-client``).

It runs in a daemon thread of its own (a standard library HTTP server), so a busy or stuck
service loop never delays a probe's answer, which is the point of a liveness probe.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from orchestrator.errors import OrchestratorError
from orchestrator.management import metrics as _metrics  # every metric, declared or not yet used
from orchestrator.management.health import Health
from orchestrator.management.lag import CONSUMER_LAG
from orchestrator.settings import ManagementSettings

log = logging.getLogger("kestrel.management")
_REGISTERED = (_metrics.__name__, CONSUMER_LAG)  # imported for their registration


class ManagementError(OrchestratorError):
    """The management server could not start."""


class _Handler(BaseHTTPRequestHandler):
    """Answers the four paths; anything else is a JSON 404."""

    server: _Server

    def do_GET(self) -> None:
        """Serve a probe or the metrics."""
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        health = self.server.health
        if path == "/metrics":
            self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        elif path == "/health/liveness":
            self._json(200 if health.alive() else 503, {"status": _word(health.alive())})
        elif path == "/health/readiness":
            self._json(200 if health.ready() else 503, {"status": _word(health.ready())})
        elif path == "/health":
            statuses = health.statuses()
            body = {
                "alive": all(each.alive for each in statuses),
                "ready": bool(statuses) and all(each.ready for each in statuses),
                "services": [asdict(each) for each in statuses],
            }
            self._json(200 if body["ready"] else 503, body)
        else:
            paths = "/health, /health/liveness, /health/readiness, /metrics"
            self._json(404, {"message": f"no such path {path!r}", "details": f"try {paths}"})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds would flood the logs: keep them at debug level."""
        log.debug("%s %s", self.address_string(), format % args)


def _word(ok: bool) -> str:
    return "UP" if ok else "DOWN"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], health: Health) -> None:
        self.health = health
        super().__init__(address, _Handler)


class ManagementServer:
    """Serves ``health`` and the metrics on ``settings.host:settings.port`` until `stop`."""

    def __init__(self, settings: ManagementSettings, health: Health) -> None:
        """Bind the port at once, so that a port in use is reported before anything starts.

        Raises:
            ManagementError: The address cannot be bound.
        """
        try:
            self._server = _Server((settings.host, settings.port), health)
        except OSError as exc:
            raise ManagementError(
                f"cannot serve health and metrics on {settings.host}:{settings.port}: "
                f"{exc.strerror or exc} (set management.port, KESTREL_MANAGEMENT__PORT, to a "
                "free port, 0 for any, or management.enabled to false)"
            ) from exc
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="management", daemon=True
        )

    @property
    def url(self) -> str:
        """Where the server listens, for people (``http://host:port``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        """The bound port (useful when the settings said 0)."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread.start()
        log.info("health and metrics on %s", self.url)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


__all__ = ["ManagementError", "ManagementServer"]
