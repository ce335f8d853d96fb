"""Kestrel's settings: defaults, then a YAML file, then ``KESTREL_*`` environment variables.

The file comes from ``load_settings(path)`` or the ``KESTREL_CONFIG`` variable. Environment
variables take precedence over the file and accept two spellings: ``KESTREL_KAFKA_BOOTSTRAP``
(section, one underscore, field) and ``KESTREL_KAFKA__BOOTSTRAP`` (the nested delimiter).
Dict-valued fields take JSON (``KESTREL_KAFKA_EXTRA='{"linger.ms": "20"}'``).

Secrets are ``SecretStr``: ``repr``, ``str`` and logging show ``**********``. Only the
rendered client configurations (``KafkaSettings.client_config``,
``ElasticsearchSettings.client_kwargs``) reveal them, because the clients need them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from orchestrator.errors import OrchestratorError
from orchestrator.masking import masked_url
from orchestrator.webserver.settings import WebserverSettings

ConfigValue = str | int | float | bool
"""A librdkafka configuration value."""

CONFIG_ENV_VAR = "KESTREL_CONFIG"
"""Environment variable naming the YAML settings file."""

MIB = 1024 * 1024
_TOPIC_PREFIX = re.compile(r"[A-Za-z0-9.\-]*")
# Largest value librdkafka accepts; the embedded broker ignores fetch limits (BACKENDS.md).
_RECEIVE_MAX_BYTES = 2_147_483_647
_SENSITIVE_KEY = re.compile(r"password|secret|token|credential|key\.pem|private", re.IGNORECASE)
_MASK = "**********"


class SettingsError(OrchestratorError):
    """The settings file or the environment holds an invalid value."""


class _Section(BaseModel):
    """A settings section: immutable, and a typo in the file is an error, not a silent default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    """How to reach Kafka, how topics are named and created, and client overrides."""

    bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = "kestrel."
    partitions: int = Field(default=12, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: (
        Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER"] | None
    ) = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    extra: dict[str, str] = Field(default_factory=dict, repr=False)
    """librdkafka properties added to every client (and overriding Kestrel's choices)."""
    instance_id: str | None = None
    """Stable id of this process for static group membership (``group.instance.id``)."""
    message_max_bytes: int = Field(default=MIB, ge=1000)
    admin_timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for the broker before reporting it unreachable."""
    idle_after: float | None = Field(default=None, gt=0)
    """Seconds without a record after which a consumer rests its fetches (None: never).

    For brokers that answer empty fetches at once instead of waiting ``fetch.wait.max.ms``
    (the embedded one): see `orchestrator.kafka.idle`. ``server local`` sets it."""
    idle_probe: float = Field(default=0.1, gt=0)
    """While consumers rest, how often the process asks the broker whether their topics
    moved (one request for all of them), right after they paused."""
    idle_probe_max: float = Field(default=1.0, gt=0)
    """The probe's interval doubles while nothing moves, up to this: the most a record from
    another process waits after a long quiet spell (records of this process ring at once)."""

    @field_validator("topic_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if "_" in value:
            raise ValueError(
                f"topic prefix {value!r} contains '_': Kafka confuses '.' and '_' in metric "
                "names, and Kestrel topic names use dots only"
            )
        if not _TOPIC_PREFIX.fullmatch(value):
            raise ValueError(f"topic prefix {value!r} may only hold letters, digits, '.' and '-'")
        if len(value) > 200:
            raise ValueError("topic prefix is longer than 200 characters")
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        yield from super().__repr_args__()
        yield (
            "extra",
            {
                key: _MASK if _SENSITIVE_KEY.search(key) else value
                for key, value in self.extra.items()
            },
        )

    def client_config(self, **overrides: ConfigValue) -> dict[str, ConfigValue]:
        """Return the librdkafka configuration shared by every client (secrets revealed).

        Args:
            **overrides: librdkafka properties set last, e.g. ``**{"client.id": "worker-1"}``.
        """
        config: dict[str, ConfigValue] = {
            "bootstrap.servers": self.bootstrap,
            "security.protocol": self.security_protocol.lower(),
        }
        if self.sasl_mechanism is not None:
            config["sasl.mechanism"] = self.sasl_mechanism
        if self.sasl_username is not None:
            config["sasl.username"] = self.sasl_username
        if self.sasl_password is not None:
            config["sasl.password"] = self.sasl_password.get_secret_value()
        config.update(self.extra)
        config.update(overrides)
        return config

    def producer_config(
        self, transactional_id: str | None = None, **overrides: ConfigValue
    ) -> dict[str, ConfigValue]:
        """Return a producer configuration: idempotent, Java-compatible key partitioning.

        Args:
            transactional_id: Makes the producer transactional (stable per instance, so a
                restarted instance fences its previous incarnation).
            **overrides: librdkafka properties set last.
        """
        config: dict[str, ConfigValue] = {
            # Same key -> partition mapping as Java clients, so partitions are computable.
            "partitioner": "murmur2_random",
            "enable.idempotence": True,
            "acks": "all",
            "message.max.bytes": self.message_max_bytes,
        }
        if transactional_id is not None:
            config["transactional.id"] = transactional_id
        return {**config, **self.client_config(**overrides)}

    def consumer_config(
        self,
        group_id: str,
        instance_id: str | None = None,
        read_committed: bool = True,
        **overrides: ConfigValue,
    ) -> dict[str, ConfigValue]:
        """Return a consumer configuration: manual commits, earliest offset, static membership.

        Args:
            group_id: The consumer group.
            instance_id: ``group.instance.id``; defaults to ``instance_id`` of the settings.
                None of both means dynamic membership.
            read_committed: Hide records of open and aborted transactions.
            **overrides: librdkafka properties set last.
        """
        config: dict[str, ConfigValue] = {
            "group.id": group_id,
            "isolation.level": "read_committed" if read_committed else "read_uncommitted",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "receive.message.max.bytes": _RECEIVE_MAX_BYTES,
        }
        member = instance_id if instance_id is not None else self.instance_id
        if member is not None:
            config["group.instance.id"] = member
        return {**config, **self.client_config(**overrides)}

    def admin_config(self, **overrides: ConfigValue) -> dict[str, ConfigValue]:
        """Return an admin client configuration."""
        return self.client_config(**overrides)


class ElasticsearchSettings(_Section):
    """How to reach Elasticsearch and how Kestrel's indices are named."""

    url: str = "http://127.0.0.1:9200"
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    index_prefix: str = "kestrel-"
    request_timeout: float = Field(default=30.0, gt=0)

    @field_validator("index_prefix")
    @classmethod
    def _check_index_prefix(cls, value: str) -> str:
        if value != value.lower() or any(char in value for char in ' "*\\<|,>/?'):
            raise ValueError(f"index prefix {value!r} must be lower case without spaces or *")
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, masked_url(value, _MASK) if name == "url" else value

    def client_kwargs(self) -> dict[str, Any]:
        """Return keyword arguments for ``elasticsearch.Elasticsearch`` (secrets revealed)."""
        kwargs: dict[str, Any] = {"hosts": [self.url], "request_timeout": self.request_timeout}
        if self.api_key is not None:
            kwargs["api_key"] = self.api_key.get_secret_value()
        elif self.username is not None:
            password = self.password.get_secret_value() if self.password else ""
            kwargs["basic_auth"] = (self.username, password)
        return kwargs


def _default_home() -> Path:
    return Path.home() / ".kestrel"


class SecuritySettings(_Section):
    """Keys shared by every process of a cluster."""

    secret_key: SecretStr | None = None
    """Fernet key encrypting SECRET inputs (``kestrel secret-key`` prints a new one)."""


class StorageSettings(_Section):
    """Internal storage of files (``kestrel://`` URIs)."""

    base_dir: Path = Field(default_factory=lambda: _default_home() / "storage")

    @field_validator("base_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


_CONFIG_FILE: ContextVar[Path | None] = ContextVar("kestrel_config_file", default=None)


class RuntimeSettings(_Section):
    """Knobs of the executor and workers."""

    worker_threads: int = Field(default=8, ge=1)
    """Task runs a worker runs at once."""
    heartbeat_interval: float = Field(default=3.0, gt=0)
    """Seconds between two heartbeats of a worker."""
    worker_dead_after: float = Field(default=30.0, gt=0)
    """Seconds without a heartbeat after which the executor declares a worker dead."""
    shutdown_grace: float = Field(default=30.0, ge=0)
    """Seconds a stopping worker lets running tasks finish before handing them back."""
    task_stop_grace: float = Field(default=20.0, ge=0)
    """Seconds a task told to stop (timed out, or handed back at shutdown) gets to end
    before the worker abandons its thread."""
    batch_size: int = Field(default=500, ge=1)
    """Records the executor processes in one transaction."""
    poll_timeout: float = Field(default=0.1, gt=0)
    """Seconds a service waits for records before checking its timers."""
    running_linger: float = Field(default=0.01, ge=0)
    """Seconds the executor waits for more records when a batch holds only workers'
    RUNNING reports, so that a short task's RUNNING and its result share one transaction
    (one snapshot written instead of two). 0 turns it off."""
    switch_interval: float = Field(default=0.0005, gt=0)
    """Seconds a Python thread runs before handing the interpreter to one waiting for it
    (``sys.setswitchinterval``; Python's default is 0.005). Each return from a Kafka call
    waits for the interpreter: with the indexer or task threads busy in the same process,
    the default adds up to 5 ms to every step of a transaction."""


class SchedulerSettings(_Section):
    """The scheduler (orchestrator/scheduler)."""

    backfill_pace: float = Field(default=0.0, ge=0)
    """Seconds at least between two slots of one backfill (besides waiting for the previous
    slot's execution to end, as every schedule does)."""
    poll_timeout: float = Field(default=0.05, gt=0)
    """Seconds the scheduler waits for commands before evaluating due triggers (a due slot
    wakes it sooner)."""
    firings_per_transaction: int = Field(default=500, ge=1)
    """Executions a scheduler starts in one transaction at most (a burst is chunked)."""
    poll_threads: int = Field(default=4, ge=1)
    """Polling triggers evaluated at once (in threads, never in the scheduler's loop)."""


class ScriptsSettings(_Section):
    """Script tasks: what a Docker task runner does without an engine, and cached envs."""

    docker_fallback: Literal["process", "fail"] = "process"
    """Without a reachable Docker engine, a task asking for the Docker task runner runs as a
    local process with a warning naming its image (``process``), or fails (``fail``)."""
    envs_dir: Path = Field(default_factory=lambda: _default_home() / "script-envs")
    """Where the virtual environments of Python ``dependencies`` (and Node modules) are
    cached, one per dependency set."""

    @field_validator("envs_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()


class IndexerSettings(_Section):
    """The indexer: consumer group, buffering and retries of bulk requests to Elasticsearch."""

    group_id: str | None = None
    """Consumer group of every indexer instance; None: derived from the topic prefix
    (``kestrel-indexer`` for the default prefix), like every Kestrel group."""
    instance_id: str | None = None
    """Static member id (``group.instance.id``); None: ``<kafka.instance_id or host>-indexer``."""
    batch_size: int = Field(default=500, ge=1)
    """Flush when this many documents are buffered."""
    flush_interval: float = Field(default=1.0, gt=0)
    """Flush at most this many seconds after the first buffered record arrived."""
    stats_interval: float = Field(default=10.0, ge=0)
    """While catching up (flushes of full batches), seconds between two computations of the
    per-day execution statistics; the offsets of the flushes in between are committed with
    them; never sooner than three times the last computation's duration (so at most a
    quarter of the time goes to them). Caught up, they are computed at every flush."""
    retry_initial_backoff: float = Field(default=0.5, gt=0)
    """First wait, in seconds, after a failed bulk request (doubled at each failure)."""
    retry_max_backoff: float = Field(default=30.0, gt=0)
    """Longest wait between two attempts of a bulk request."""
    retry_max_elapsed: float | None = Field(default=None, gt=0)
    """Give up (stop with an error, nothing committed) after retrying this many seconds;
    None retries until Elasticsearch is back or the indexer is stopped."""


class ManagementSettings(_Section):
    """The management HTTP server of every service: health probes and Prometheus metrics."""

    enabled: bool = True
    """Serve ``/health/liveness``, ``/health/readiness`` and ``/metrics``."""
    host: str = "127.0.0.1"
    """Address to listen on; ``0.0.0.0`` in a container, so that probes can reach it."""
    port: int = Field(default=8081, ge=0, le=65535)
    """Port to listen on; 0 picks a free one (printed at start)."""
    stalled_after: float = Field(default=60.0, gt=0)
    """Seconds without a turn of a service's loop after which liveness fails."""


class _FlatEnvSource(EnvSettingsSource):
    """``KESTREL_KAFKA_BOOTSTRAP``: section and field joined by a single underscore."""

    def explode_env_vars(
        self, field_name: str, field: Any, env_vars: Mapping[str, str | None]
    ) -> Any:
        exploded = super().explode_env_vars(field_name, field, env_vars)
        # ``KESTREL_KAFKA__X`` also matches ``KESTREL_KAFKA_`` with key ``_x``: the other source
        # reads those.
        return {key: value for key, value in exploded.items() if not key.startswith("_")}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"settings file {path} is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"settings file {path} must hold a mapping, not {type(data).__name__}")
    return data


class KestrelSettings(BaseSettings):
    """Every setting of a Kestrel process; see the module docstring for where they come from."""

    model_config = SettingsConfigDict(
        env_prefix="KESTREL_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    indexer: IndexerSettings = Field(default_factory=IndexerSettings)
    management: ManagementSettings = Field(default_factory=ManagementSettings)
    webserver: WebserverSettings = Field(default_factory=WebserverSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    scripts: ScriptsSettings = Field(default_factory=ScriptsSettings)
    data_dir: Path = Field(default_factory=lambda: _default_home() / "data")
    """Where ``kestrel server local`` keeps the embedded backends' data."""

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order the sources: arguments, ``__`` variables, ``_`` variables, YAML file."""
        flat_env = _FlatEnvSource(settings_cls, env_nested_delimiter="_", env_nested_max_split=1)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, flat_env]
        path = _CONFIG_FILE.get()
        if path is None and os.environ.get(CONFIG_ENV_VAR):
            path = Path(os.environ[CONFIG_ENV_VAR])
        if path is not None:
            sources.append(InitSettingsSource(settings_cls, init_kwargs=_read_yaml(path)))
        return tuple(sources)


def kafka_settings(settings: KafkaSettings | KestrelSettings) -> KafkaSettings:
    """Return the Kafka section of ``settings`` (or ``settings`` when it is that section)."""
    return settings.kafka if isinstance(settings, KestrelSettings) else settings


@contextmanager
def _config_file(path: Path | None) -> Iterator[None]:
    token = _CONFIG_FILE.set(path)
    try:
        yield
    finally:
        _CONFIG_FILE.reset(token)


def load_settings(config_path: Path | None = None, **values: Any) -> KestrelSettings:
    """Load the settings from ``config_path`` (or ``$KESTREL_CONFIG``) and the environment.

    Args:
        config_path: A YAML file with sections ``kafka``, ``elasticsearch``, ``storage`` and
            ``data_dir``. None reads the file named by ``KESTREL_CONFIG``, if any.
        **values: Values that override both the file and the environment.

    Raises:
        SettingsError: The file cannot be read or parsed, or a value is invalid.
    """
    try:
        with _config_file(config_path):
            return KestrelSettings(**values)
    except ValidationError as exc:
        where = config_path or os.environ.get(CONFIG_ENV_VAR) or "the environment"
        raise SettingsError(f"invalid settings (from {where} and KESTREL_*): {exc}") from exc
