"""Embedded Kafka and Elasticsearch for tests and ``kestrel server local`` (noida-db).

The ``noida-db`` binary runs in the foreground as our child and is stopped with SIGTERM,
which saves its data (its Python wrapper would leave the server running; BACKENDS.md).
Nothing else in Kestrel depends on noida-db: the services only see two addresses.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import IO

from orchestrator.backends.errors import BackendError
from orchestrator.backends.probes import elasticsearch_answers, kafka_answers, wait_until

INSTALL_HINT = "install it with: pip install 'kestrelflow[local]'"
_NOISE = ("weak version `GLIBC_",)
_PORT_TAKEN = "already in use"
_PORT_ATTEMPTS = 3


def noida_binary() -> Path:
    """Return the path of the ``noida-db`` server binary shipped in its wheel.

    Raises:
        BackendError: noida-db is not installed.
    """
    try:
        package = resources.files("noida_db")
    except ModuleNotFoundError:
        raise BackendError(f"the embedded backends need noida-db: {INSTALL_HINT}") from None
    name = "noida-db.exe" if os.name == "nt" else "noida-db"
    path = Path(str(package.joinpath(name)))
    if not path.is_file():
        raise BackendError(
            f"noida-db is installed but its binary {path} is missing: {INSTALL_HINT}"
        )
    if not os.access(path, os.X_OK):
        path.chmod(0o755)  # as noida-db's own wrapper does; wheels may drop the mode
    return path


def filter_output(text: str) -> str:
    """Drop noida-db's harmless ``GLIBC_2.39 not found`` warning from its output."""
    return "\n".join(line for line in text.splitlines() if not any(n in line for n in _NOISE))


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> Callable[[], None] | None:
    """Return a pre-exec hook asking Linux to SIGTERM the child when this thread ends."""
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None  # PR_SET_PDEATHSIG follows the forking *thread*: only safe from main
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    parent = os.getpid()

    def hook() -> None:
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:
            os._exit(1)

    return hook


class EmbeddedBackends:
    """noida-db serving the Kafka protocol and the Elasticsearch API on loopback ports.

    Use as a context manager, or ``start()`` / ``stop()``. Ports left as None are picked free.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        kafka: bool = True,
        elasticsearch: bool = True,
        kafka_port: int | None = None,
        elasticsearch_port: int | None = None,
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
    ):
        """Describe the backends to run; nothing starts before ``start()``.

        Args:
            data_dir: Where noida-db keeps its data (one JSON file per service).
            kafka: Run the Kafka side.
            elasticsearch: Run the Elasticsearch side.
            kafka_port: Kafka port; None picks a free one.
            elasticsearch_port: Elasticsearch port; None picks a free one.
            host: Address to bind.
            startup_timeout: Seconds allowed until both answer.
        """
        if not (kafka or elasticsearch):
            raise ValueError("enable at least one of kafka and elasticsearch")
        self.data_dir = Path(data_dir)
        self.host = host
        self.startup_timeout = startup_timeout
        self._kafka = kafka
        self._elasticsearch = elasticsearch
        self._fixed_ports = (kafka_port, elasticsearch_port)
        self._ports = (kafka_port, elasticsearch_port)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._exited_early = False

    @property
    def log_path(self) -> Path:
        """The file collecting noida-db's output."""
        return self.data_dir / "noida-db.log"

    @property
    def pid(self) -> int | None:
        """PID of the running server, or None."""
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def kafka_bootstrap(self) -> str:
        """``host:port`` of the Kafka side."""
        if not self._kafka or self._ports[0] is None:
            raise BackendError("the embedded Kafka is not enabled or not started")
        return f"{self.host}:{self._ports[0]}"

    @property
    def elasticsearch_url(self) -> str:
        """``http://host:port`` of the Elasticsearch side."""
        if not self._elasticsearch or self._ports[1] is None:
            raise BackendError("the embedded Elasticsearch is not enabled or not started")
        return f"http://{self.host}:{self._ports[1]}"

    def output(self) -> str:
        """noida-db's output so far, without the GLIBC warning."""
        try:
            return filter_output(self.log_path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return ""

    def __enter__(self) -> EmbeddedBackends:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> EmbeddedBackends:
        """Start noida-db and wait until Kafka and Elasticsearch answer.

        Raises:
            BackendError: noida-db is missing, exits, or does not answer in time.
        """
        if self.running:
            return self
        binary = noida_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            self._ports = (self._port(0, self._kafka), self._port(1, self._elasticsearch))
            self._spawn(binary)
            if self._wait_ready():
                return self
            output = self.output()
            self.stop()
            enabled = (self._kafka, self._elasticsearch)
            auto_ports = any(
                on and fixed is None for on, fixed in zip(enabled, self._fixed_ports, strict=True)
            )
            if _PORT_TAKEN in output and auto_ports and attempt < _PORT_ATTEMPTS:
                continue  # another process took a port we picked: pick again
            reason = (
                "exited"
                if self._exited_early
                else f"did not answer within {self.startup_timeout:g} s"
            )
            raise BackendError(
                f"embedded backends (noida-db, data dir {self.data_dir}) {reason}:\n"
                f"{output.strip() or '(no output)'}"
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _port(self, index: int, enabled: bool) -> int | None:
        fixed = self._fixed_ports[index]
        if not enabled or fixed is not None:
            return fixed
        return free_port(self.host)

    def _spawn(self, binary: Path) -> None:
        services = [
            name
            for name, on in (("kafka", self._kafka), ("elasticsearch", self._elasticsearch))
            if on
        ]
        command = [str(binary), "start", "--only", ",".join(services), "--host", self.host]
        command += ["--data-dir", str(self.data_dir)]
        if self._kafka:
            command += ["--kafka-port", str(self._ports[0])]
        if self._elasticsearch:
            command += ["--elasticsearch-port", str(self._ports[1])]
        self._log = self.log_path.open("wb")
        self._exited_early = False
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches Kestrel, which stops the server last
            preexec_fn=_die_with_parent(),
        )

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        alive = lambda: self.running  # noqa: E731
        checks: list[Callable[[float], bool]] = []
        if self._kafka:
            checks.append(lambda left: kafka_answers(self.kafka_bootstrap, left))
        if self._elasticsearch:
            checks.append(lambda left: elasticsearch_answers(self.elasticsearch_url, left))
        ready = all(wait_until(check, deadline, alive=alive) for check in checks)
        self._exited_early = not self.running
        return ready and self.running

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server with SIGTERM (it saves its data), SIGKILL after ``timeout``."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None
