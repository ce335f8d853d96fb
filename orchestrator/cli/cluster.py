"""``kestrel server cluster``: the cluster layout on one machine, one process per service.

Starts the backends (embedded ones unless ``KESTREL_KAFKA_BOOTSTRAP`` and
``KESTREL_ELASTICSEARCH_URL`` name real clusters), then executors, workers, the indexer and
every other service command this installation has (scheduler, webserver) as separate
``kestrel`` processes, each with its own instance id and management port, so the layout of
a Kubernetes cluster can be tried, killed and measured on a laptop. Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from orchestrator.cli.context import settings_from
from orchestrator.cli.errors import EXIT_FAILED
from orchestrator.cli.services import embedded_idle_after, local_security
from orchestrator.cli.signals import StopSignals
from orchestrator.kafka import ensure_topics

_STOP_SECONDS = 60.0
"""How long each process gets to stop (a worker hands back its tasks) before a kill."""


@dataclass
class Member:
    """One service process of the cluster."""

    name: str
    args: list[str]
    management_port: int
    process: subprocess.Popen[bytes] | None = None


def plan(executors: int, workers: int, threads: int | None, base_port: int) -> list[Member]:
    """The processes of a cluster: their names, command lines and management ports."""
    members: list[Member] = []

    def add(name: str, args: list[str]) -> None:
        port = base_port + len(members) if base_port else 0
        members.append(Member(name, [*args, "--management-port", str(port)], port))

    for index in range(executors):
        add(f"executor-{index}", ["executor", "--instance-id", f"cluster-executor-{index}"])
    for index in range(workers):
        args = ["worker", "--instance-id", f"cluster-worker-{index}"]
        add(f"worker-{index}", [*args, "--threads", str(threads)] if threads else args)
    add("indexer", ["indexer", "--instance-id", "cluster-indexer"])
    for command in ("scheduler", "webserver"):
        add(command, [command, "--instance-id", f"cluster-{command}"])
    return members


@click.command("cluster")
@click.option("--executors", type=click.IntRange(1), default=2, show_default=True)
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--threads", type=click.IntRange(1), help="Task runs at once per worker.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data of the embedded backends and the processes' logs (default: data_dir/cluster).",
)
@click.option(
    "--base-port",
    type=click.IntRange(0, 65000),
    default=8081,
    show_default=True,
    help="Management port of the first process; the others follow (0: any free ones).",
)
def cluster_command(
    executors: int, workers: int, threads: int | None, data_dir: Path | None, base_port: int
) -> None:
    """Run every service as its own process, on embedded backends unless configured."""
    from orchestrator.backends import resolve_backends

    settings = settings_from()
    home = data_dir or settings.data_dir / "cluster"
    backends = resolve_backends(home / "backends")
    members = plan(executors, workers, threads, base_port)
    env = {
        **os.environ,
        "KESTREL_KAFKA_BOOTSTRAP": backends.kafka_bootstrap,
        "KESTREL_ELASTICSEARCH_URL": backends.elasticsearch_url,
    }
    idle_after = embedded_idle_after(settings, backends)
    if idle_after is not None:
        env["KESTREL_KAFKA__IDLE_AFTER"] = str(idle_after)
    try:
        kafka = settings.kafka.model_copy(update={"bootstrap": backends.kafka_bootstrap})
        ensure_topics(settings.model_copy(update={"kafka": kafka}))
        if settings.security.secret_key is None:  # one key for every process of the cluster
            key = local_security(settings, home).secret_key
            assert key is not None
            env["KESTREL_SECURITY__SECRET_KEY"] = key.get_secret_value()
        _start(members, env, home)
        click.echo(f"Kafka {backends.kafka_bootstrap}, Elasticsearch {backends.elasticsearch_url}")
        for member in members:
            pid = member.process.pid if member.process else "-"
            port = member.management_port or "(printed in its log)"
            click.echo(
                f"  {member.name:<12} pid {pid!s:<8} management port {port!s:<6} "
                f"log {home / 'logs' / member.name}.log"
            )
        click.echo("The cluster is running; press Ctrl-C to stop it.")
        failed = _wait(members)
    finally:
        _stop(members)
        backends.stop()
    if failed is not None:
        click.echo(f"error: {failed.name} exited by itself; see its log", err=True)
        sys.exit(EXIT_FAILED)


def _start(members: list[Member], env: dict[str, str], home: Path) -> None:
    kestrel = Path(sys.executable).parent / "kestrel"
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for member in members:
        log = (logs / f"{member.name}.log").open("ab")
        command = [str(kestrel), *member.args]
        member.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait(members: list[Member]) -> Member | None:
    """Wait for a signal (None) or for a process that exits by itself (returned)."""
    signals = StopSignals()
    signals.install()
    while signals.received is None:
        for member in members:
            if member.process is not None and member.process.poll() is not None:
                return member
        time.sleep(0.5)  # a child's exit and a signal are both noticed at this pace
    return None


def _stop(members: list[Member]) -> None:
    running = [m.process for m in members if m.process is not None and m.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        try:
            process.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
