"""The service commands (executor, worker, scheduler, webserver, server standalone|local).

Also how a process builds its services and runs them until a signal.
"""

from __future__ import annotations

import gc
import logging
import shlex
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import click
from pydantic import SecretStr

from orchestrator.backends import Backends
from orchestrator.cli.api_setup import api_service, local_api_settings
from orchestrator.cli.context import default_instance_id, make_renderer, settings_from
from orchestrator.cli.lazy import LazyCommand, LazyGroup
from orchestrator.cli.logsetup import F, log_format_option
from orchestrator.cli.management import (
    management_port_option,
    new_health,
    start_service_command,
)
from orchestrator.cli.options import config_option
from orchestrator.cli.signals import StopSignals
from orchestrator.jsonlog import service_context
from orchestrator.kafka import ensure_topics
from orchestrator.kafka.idle import EMBEDDED_IDLE_AFTER
from orchestrator.management import Health, ManagementServer
from orchestrator.secrets import SecretCodec
from orchestrator.settings import KestrelSettings, SecuritySettings

log = logging.getLogger("kestrel")


class Service(Protocol):
    """What a runnable service offers: a blocking run and a stop."""

    def run(self) -> None:
        """Run until stopped."""

    def stop(self) -> None:
        """Ask to stop."""


def run_services(services: list[Service], management: ManagementServer | None = None) -> None:
    """Run services in threads until SIGINT/SIGTERM, then stop them and wait.

    ``management`` (health and metrics) serves from before the first service starts until
    the last one has stopped.
    """
    if management is not None:
        management.start()
    # What start-up built (modules, flows, settings) lives as long as the process: out of
    # the collector's reach, a full collection under load scans only what came after
    # (measured: a full collection of the start-up heap held the GIL 557 ms).
    gc.freeze()
    try:
        _run_until_signal(services)
    finally:
        if management is not None:
            management.stop()


def _run_until_signal(services: list[Service]) -> None:
    failures: list[BaseException] = []
    stopping = threading.Event()

    def guarded(service: Service) -> Callable[[], None]:
        def body() -> None:
            try:
                with service_context(_role_of(service), getattr(service, "instance_id", None)):
                    service.run()
            except BaseException as exc:  # a dead service stops the process
                failures.append(exc)
                stopping.set()

        return body

    signals = StopSignals()
    signals.install()
    threads = [threading.Thread(target=guarded(s), name=type(s).__name__) for s in services]
    for thread in threads:
        thread.start()
    while signals.received is None and not stopping.wait(0.5):
        if not any(thread.is_alive() for thread in threads):
            break
    if signals.received is not None:
        log.info("received signal %d, stopping", signals.received)
    for service in services:
        service.stop()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def _role_of(service: Service) -> str:
    """``executor`` for an ExecutorProcessor...: the name of its probe, without a suffix."""
    probe = getattr(service, "probe", None)
    name = probe.name if probe is not None else type(service).__name__.lower()
    return str(name).split("-")[0]


def build_services(
    settings: KestrelSettings,
    *,
    executor: bool,
    workers: int,
    threads: int | None,
    indexer: bool = True,
    instance_id: str | None = None,
    health: Health | None = None,
    scheduler: bool = False,
) -> list[Service]:
    """Create the services of this process (executor, workers, scheduler, the indexer).

    Each service reports to a probe of ``health`` (a new one when None).
    """
    from executor.processor import ExecutorProcessor
    from worker.service import WorkerService

    health = health or new_health(settings)
    renderer = make_renderer()
    services: list[Service] = []
    if executor:
        name = instance_id or default_instance_id(settings, "executor")
        services.append(ExecutorProcessor(settings, name, renderer, probe=health.probe("executor")))
    for index in range(workers):
        name = instance_id or default_instance_id(settings, f"worker-{index}")
        probe = health.probe("worker")
        services.append(WorkerService(settings, name, renderer, threads, probe=probe))
    if scheduler:
        from orchestrator.scheduler.service import SchedulerService

        name = instance_id or default_instance_id(settings, "scheduler")
        probe = health.probe("scheduler")
        services.append(SchedulerService(settings, name, renderer, probe=probe))
    if indexer:
        services += _optional_indexer(settings, health)
    return services


def _optional_indexer(settings: KestrelSettings, health: Health) -> list[Service]:
    try:
        from indexer.service import IndexerService  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return []
    name = default_instance_id(settings, "indexer")
    indexer: Service = IndexerService(settings, name, probe=health.probe("indexer"))
    return [indexer]


_config_option = config_option


def _verbose_option(command: F) -> F:
    """``--verbose`` and ``--log-format``."""
    verbose = click.option("--verbose", "-v", is_flag=True, help="Debug logging.")
    return verbose(log_format_option(command))


@click.command("executor")
@_config_option
@click.option("--instance-id", help="Stable id of this executor (static group membership).")
@management_port_option
@_verbose_option
def executor_command(
    config: Path | None,
    instance_id: str | None,
    management_port: int | None,
    verbose: bool,
    log_format: str,
) -> None:
    """Run an executor: advances executions, exactly once."""
    settings, health, management = start_service_command(
        settings_from(config), management_port, verbose, log_format
    )
    ensure_topics(settings)
    services = build_services(
        settings,
        executor=True,
        workers=0,
        threads=None,
        indexer=False,
        instance_id=instance_id,
        health=health,
    )
    run_services(services, management)


@click.command("scheduler")
@_config_option
@click.option("--instance-id", help="Stable id of this scheduler (static group membership).")
@management_port_option
@_verbose_option
def scheduler_command(
    config: Path | None,
    instance_id: str | None,
    management_port: int | None,
    verbose: bool,
    log_format: str,
) -> None:
    """Run a scheduler: fires the triggers of its partitions, each slot exactly once."""
    settings, health, management = start_service_command(
        settings_from(config), management_port, verbose, log_format
    )
    ensure_topics(settings)
    from orchestrator.scheduler.service import SchedulerService

    name = instance_id or default_instance_id(settings, "scheduler")
    scheduler = SchedulerService(settings, name, make_renderer(), probe=health.probe("scheduler"))
    run_services([scheduler], management)


@click.command("worker")
@_config_option
@click.option("--threads", type=click.IntRange(1), help="Task runs at once.")
@click.option("--instance-id", help="Stable id of this worker (static group membership).")
@management_port_option
@_verbose_option
def worker_command(
    config: Path | None,
    threads: int | None,
    instance_id: str | None,
    management_port: int | None,
    verbose: bool,
    log_format: str,
) -> None:
    """Run a worker: runs task runs and reports results, logs and heartbeats."""
    settings, health, management = start_service_command(
        settings_from(config), management_port, verbose, log_format
    )
    ensure_topics(settings)
    from worker.service import WorkerService

    name = instance_id or default_instance_id(settings, "worker")
    worker = WorkerService(settings, name, make_renderer(), threads, probe=health.probe("worker"))
    run_services([worker], management)


@click.group(
    "server",
    cls=LazyGroup,
    lazy_commands={
        "cluster": LazyCommand(
            "orchestrator.cli.cluster:cluster_command",
            "Run every service as its own process, on embedded backends unless configured.",
        )
    },
)
def server_group() -> None:
    """Run every service in one process."""


@server_group.command("standalone")
@_config_option
@click.option("--threads", type=click.IntRange(1), help="Task runs at once.")
@management_port_option
@_verbose_option
def standalone_command(
    config: Path | None,
    threads: int | None,
    management_port: int | None,
    verbose: bool,
    log_format: str,
) -> None:
    """Every service in one process (executor, worker, scheduler, indexer, API)."""
    settings, health, management = start_service_command(
        settings_from(config), management_port, verbose, log_format
    )
    ensure_topics(settings)
    services = build_services(
        settings, executor=True, workers=1, threads=threads, health=health, scheduler=True
    )
    run_services([*services, api_service(settings, health)], management)


@server_group.command("local")
@_config_option
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the embedded Kafka and Elasticsearch keep their data.",
)
@click.option("--threads", type=click.IntRange(1), help="Task runs at once.")
@click.option(
    "--deploy",
    "deploy_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Flows to deploy once the server is up.",
)
@click.option("--run", "run_flow", metavar="NAMESPACE.FLOW_ID", help="A flow to run once deployed.")
@management_port_option
@_verbose_option
def local_command(
    config: Path | None,
    data_dir: Path | None,
    threads: int | None,
    deploy_paths: tuple[Path, ...],
    run_flow: str | None,
    management_port: int | None,
    verbose: bool,
    log_format: str,
) -> None:
    """Start embedded Kafka and Elasticsearch, then every service, until Ctrl-C."""
    from orchestrator.backends import resolve_backends

    settings, health, management = start_service_command(
        settings_from(config), management_port, verbose, log_format
    )
    home = data_dir or settings.data_dir
    backends = resolve_backends(home)
    try:
        settings = settings.model_copy(
            update={
                "kafka": settings.kafka.model_copy(
                    update={
                        "bootstrap": backends.kafka_bootstrap,
                        "idle_after": embedded_idle_after(settings, backends),
                    }
                ),
                "elasticsearch": settings.elasticsearch.model_copy(
                    update={"url": backends.elasticsearch_url}
                ),
                "security": local_security(settings, home),
                "webserver": local_api_settings(settings, home),
            }
        )
        click.echo(f"Kafka listens on {backends.kafka_bootstrap}")
        click.echo(f"Elasticsearch listens on {backends.elasticsearch_url}")
        click.echo("From another terminal:")
        for line in export_lines(
            backends.kafka_bootstrap, backends.elasticsearch_url, home, settings.kafka.idle_after
        ):
            click.echo(f"  {line}")
        ensure_topics(settings)
        services = build_services(
            settings, executor=True, workers=1, threads=threads, health=health, scheduler=True
        )
        services.append(api_service(settings, health))
        if deploy_paths or run_flow:
            services.append(_Demo(settings, list(deploy_paths), run_flow))
        run_services(services, management)
    finally:
        backends.stop()


def embedded_idle_after(settings: KestrelSettings, backends: Backends) -> float | None:
    """``kafka.idle_after`` to use: rest idle consumers on the embedded broker by default.

    The embedded broker answers empty fetches at once, so idle consumers would spin
    (`orchestrator.kafka.idle`); a configured value, or an external broker, is left alone.
    """
    if settings.kafka.idle_after is not None or backends.embedded is None:
        return settings.kafka.idle_after
    return EMBEDDED_IDLE_AFTER


def export_lines(
    kafka: str, elasticsearch: str, home: Path, idle_after: float | None = None
) -> list[str]:
    """The shell lines pointing another terminal at this local server's backends.

    The key file's path is absolute, so the lines work from any directory. ``idle_after``:
    the embedded broker's resting consumers, which the other terminal's services need too
    (they could not tell that broker from a real one).
    """
    key_file = shlex.quote(str((home / "secret.key").resolve()))
    lines = [
        f"export KESTREL_KAFKA_BOOTSTRAP={kafka}",
        f"export KESTREL_ELASTICSEARCH_URL={elasticsearch}",
        f"export KESTREL_SECURITY__SECRET_KEY=$(cat {key_file})",
    ]
    if idle_after is not None:
        lines.append(f"export KESTREL_KAFKA__IDLE_AFTER={idle_after}")
    return lines


def local_security(settings: KestrelSettings, home: Path) -> SecuritySettings:
    """The configured secret key, else one generated once and kept in the data dir."""
    if settings.security.secret_key is not None:
        return settings.security
    key_file = home / "secret.key"
    if not key_file.exists():
        home.mkdir(parents=True, exist_ok=True)
        key_file.write_text(SecretCodec.new_key())
        key_file.chmod(0o600)
    return SecuritySettings(secret_key=SecretStr(key_file.read_text().strip()))


@click.command("webserver")
@_config_option
@click.option("--host", help="Interface to listen on (default: webserver.host).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: webserver.port).")
@click.option("--instance-id", help="Accepted for symmetry with the other services (unused).")
@management_port_option
@_verbose_option
def webserver_command(
    config: Path | None,
    host: str | None,
    port: int | None,
    instance_id: str | None,
    management_port: int | None,
    verbose: bool,
    log_format: str,
) -> None:
    """Serve the REST API (Kestra's /api/v1/main/...)."""
    del instance_id  # the API keeps no group membership
    settings, health, management = start_service_command(
        settings_from(config), management_port, verbose, log_format
    )
    updates = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    if updates:
        settings = settings.model_copy(
            update={"webserver": settings.webserver.model_copy(update=updates)}
        )
    run_services([api_service(settings, health)], management)


@click.command("hash-password")
@click.password_option(help="The password or API token to hash (asked when not given).")
def hash_password_command(password: str) -> None:
    """Print the Argon2 hash of a password or token, for webserver.auth users and tokens."""
    from orchestrator.webserver.auth import hash_secret

    click.echo(hash_secret(password))


@click.command("secret-key")
def secret_key_command() -> None:
    """Print a new key for security.secret_key (KESTREL_SECURITY__SECRET_KEY)."""
    click.echo(SecretCodec.new_key())


class _Demo:
    """Deploys flows and runs one once the server is up (``make run``)."""

    def __init__(self, settings: KestrelSettings, paths: list[Path], flow: str | None) -> None:
        self._settings = settings
        self._paths = paths
        self._flow = flow
        self._stop = threading.Event()

    def run(self) -> None:
        from orchestrator.cli.control import run_execution
        from orchestrator.cli.deploy import deploy_files

        deployed = deploy_files(
            self._settings, self._paths, warn=lambda text: click.echo(text, err=True)
        )
        for each in deployed:
            click.echo(f"deployed {each.namespace}.{each.flow_id} revision {each.revision}")
        if self._flow:
            namespace, _, flow_id = self._flow.rpartition(".")
            run_execution(
                self._settings, namespace, flow_id, None, wait=True, as_json=False, timeout=120
            )
        click.echo("Kestrel is running; press Ctrl-C to stop.")
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()
