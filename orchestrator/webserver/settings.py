"""Settings of ``kestrel webserver``: where it listens, who may call it, CORS.

Kept free of aiohttp so that `orchestrator.settings` can import it cheaply.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ApiUser(_Section):
    """A user of basic authentication; only the password's Argon2 hash is kept."""

    username: str = Field(min_length=1)
    password_hash: str = Field(min_length=1)
    """``kestrel webserver hash-password`` prints one."""


class ApiToken(_Section):
    """An API token (``Authorization: Bearer ...``); only its Argon2 hash is kept."""

    name: str = Field(min_length=1)
    token_hash: str = Field(min_length=1)


DEFAULT_OPEN_PATHS = (
    "/api/v1/main/executions/webhook/",
    "/api/v1/executions/webhook/",
    "/health",
    "/ready",
    "/ui/",
)
"""Path prefixes served without credentials: webhooks (their key is the secret), health,
and the web UI's files (its pages call the API with the user's credentials)."""


class AuthSettings(_Section):
    """Authentication of API calls: on by default."""

    enabled: bool = True
    users: tuple[ApiUser, ...] = ()
    tokens: tuple[ApiToken, ...] = ()
    open_paths: tuple[str, ...] = DEFAULT_OPEN_PATHS


class WebserverSettings(_Section):
    """The REST API's HTTP server."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    """The URL users reach the UI at (Kestra's ``kestra.url``), for links in notifications;
    ``http://<host>:<port>`` when unset."""
    auth: AuthSettings = Field(default_factory=AuthSettings)
    cors_origins: tuple[str, ...] = ()
    """Origins allowed by CORS; empty: CORS off (the UI is served from the same origin)."""
    keepalive_interval: float = Field(default=15.0, gt=0)
    """Seconds between SSE keep-alive comments when nothing else is sent."""
    wait_timeout: float = Field(default=600.0, gt=0)
    """Longest a ``?wait=true`` request waits for the execution to end."""
    max_body_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    """Largest request body (uploaded FILE inputs included)."""
    threads: int = Field(default=32, ge=2)
    """Threads for blocking calls (Elasticsearch, Kafka reads)."""
    stream_threads: int = Field(default=256, ge=2)
    """Threads of the Kafka readers of ``?wait`` and SSE follows (at most that many open)."""
