"""Task runners of script tasks: Kestra's ``Process`` and ``Docker`` (``taskRunner``).

``Process`` runs the command as a local process. ``Docker`` runs it in a container when a
Docker engine answers (``docker info``); when none does, the ``scripts.docker_fallback``
setting decides: run it as a local process with a warning naming the image (``process``,
the default, so a laptop runs Kestra's blueprint flows), or fail the task (``fail``).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from orchestrator.models.base import KestrelModel

PROCESS_RUNNERS = frozenset(
    {
        "io.kestra.plugin.core.runner.Process",
        "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner",
    }
)
"""Kestra's names of the local process task runner."""

DOCKER_RUNNERS = frozenset(
    {
        "io.kestra.plugin.scripts.runner.docker.Docker",
        "io.kestra.plugin.scripts.runners.docker.DockerTaskRunner",
    }
)
"""Kestra's names of the Docker task runner."""

_ENGINE_PROBE_SECONDS = 5.0


class ProcessRunner(KestrelModel):
    """Run the command as a local process on the worker."""

    type: str
    """``io.kestra.plugin.core.runner.Process``."""
    version: str | None = None
    """Accepted for Kestra flows."""


class DockerCpu(KestrelModel):
    """CPU limit of a container."""

    cpus: float | str | None = None
    """CPUs the container may use (``1.5``)."""


class DockerMemory(KestrelModel):
    """Memory limits of a container."""

    memory: str | None = None
    """Hard limit (``512MB``, ``1g``)."""
    memory_swap: str | None = None
    """Memory plus swap limit."""
    memory_reservation: str | None = None
    """Soft limit."""
    kernel_memory: str | None = None
    """Kernel memory limit (accepted, ignored by current engines)."""
    oom_kill_disable: bool | None = None
    """Disable the OOM killer."""
    memory_swappiness: str | None = None
    """Swappiness (0-100)."""


class DockerRunner(KestrelModel):
    """Run the command in a container of the task's ``containerImage``."""

    type: str
    """``io.kestra.plugin.scripts.runner.docker.Docker``."""
    version: str | None = None
    """Accepted for Kestra flows."""
    host: str | None = None
    """The Docker engine to use (``DOCKER_HOST`` form)."""
    config: str | dict[str, Any] | None = None
    """Docker client configuration (registry auths), as JSON text or a map."""
    credentials: dict[str, Any] | None = None
    """Registry credentials (registry, username, password, auth...)."""
    volumes: list[str] = Field(default_factory=list)
    """Extra volumes, ``host:container[:mode]``."""
    pull_policy: Literal["ALWAYS", "IF_NOT_PRESENT", "NEVER"] = "IF_NOT_PRESENT"
    """When to pull the image."""
    cpu: DockerCpu | None = None
    """CPU limit."""
    memory: DockerMemory | None = None
    """Memory limits."""
    network_mode: str | None = None
    """The container's network (``host``, ``bridge``, a network name)."""
    user: str | None = None
    """The user the command runs as in the container."""
    entry_point: list[str] | None = None
    """Replaces the image's entry point."""
    extra_hosts: list[str] = Field(default_factory=list)
    """More ``host:ip`` entries."""
    shm_size: str | None = None
    """Size of ``/dev/shm``."""
    privileged: bool = False
    """Run the container privileged."""
    wait: bool = True
    """Wait for the container to end (always true here)."""
    delete: bool = True
    """Remove the container after it ends."""
    kill_grace_period: str | None = None
    """Accepted for Kestra flows."""
    file_handling_strategy: str | None = None
    """Accepted for Kestra flows (the working directory is always mounted)."""
    device_requests: list[dict[str, Any]] = Field(default_factory=list)
    """GPU requests (``--gpus``): accepted for Kestra flows, only ``count`` is used."""

    engine_name: ClassVar[str] = "docker"

    def docker_argv(
        self, image: str, argv: list[str], working_dir: Path, env: Mapping[str, str]
    ) -> list[str]:
        """The ``docker run`` command line that runs ``argv`` in ``image`` in the working dir.

        The working directory is mounted at the same path, so paths in the command stay true.
        """
        command = ["docker"]
        if self.host:
            command += ["--host", self.host]
        command += ["run", "--rm" if self.delete else "--init", "-w", str(working_dir)]
        command += ["-v", f"{working_dir}:{working_dir}"]
        for volume in self.volumes:
            command += ["-v", volume]
        pull = {"ALWAYS": "always", "IF_NOT_PRESENT": "missing", "NEVER": "never"}
        command += ["--pull", pull[self.pull_policy]]
        if self.network_mode:
            command += ["--network", self.network_mode]
        if self.user:
            command += ["--user", self.user]
        if self.cpu is not None and self.cpu.cpus is not None:
            cpus = self.cpu.cpus
            command += ["--cpus", cpus if isinstance(cpus, str) else f"{cpus:g}"]
        if self.memory is not None and self.memory.memory:
            command += ["--memory", self.memory.memory]
        if self.shm_size:
            command += ["--shm-size", self.shm_size]
        if self.privileged:
            command.append("--privileged")
        for host in self.extra_hosts:
            command += ["--add-host", host]
        for name in sorted(env):
            if name not in ("PATH", "HOME"):
                command += ["-e", f"{name}={env[name]}"]
        if self.entry_point is not None:
            command += ["--entrypoint", " ".join(self.entry_point)]
        return [*command, image, *argv]


TaskRunner = ProcessRunner | DockerRunner


class UnsupportedRunnerError(ValueError):
    """A ``taskRunner`` names a type Kestrel does not run."""


def parse_runner(value: Mapping[str, Any]) -> TaskRunner:
    """Validate a ``taskRunner`` map by its ``type``.

    Raises:
        UnsupportedRunnerError: the type is neither Process nor Docker.
        ValidationError: a property is unknown or has a wrong type.
    """
    kind = value.get("type")
    if kind in PROCESS_RUNNERS:
        return ProcessRunner.model_validate(value)
    if kind in DOCKER_RUNNERS:
        return DockerRunner.model_validate(value)
    if kind is None:
        raise UnsupportedRunnerError("a task runner needs a 'type'")
    raise UnsupportedRunnerError(
        f"task runner {kind!r} is not supported: use io.kestra.plugin.core.runner.Process "
        "or io.kestra.plugin.scripts.runner.docker.Docker"
    )


@lru_cache(maxsize=1)
def docker_engine_available() -> bool:
    """Whether a ``docker`` client is installed and its engine answers (checked once)."""
    if shutil.which("docker") is None:
        return False
    try:
        probe = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=_ENGINE_PROBE_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def docker_fallback() -> str:
    """The ``scripts.docker_fallback`` setting: ``process`` or ``fail``."""
    from orchestrator.settings import load_settings

    return load_settings().scripts.docker_fallback


__all__ = [
    "DOCKER_RUNNERS",
    "PROCESS_RUNNERS",
    "DockerRunner",
    "ProcessRunner",
    "TaskRunner",
    "UnsupportedRunnerError",
    "docker_engine_available",
    "docker_fallback",
    "parse_runner",
]
