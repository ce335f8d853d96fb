"""Properties shared by the HTTP tasks: the request, its options and its authentication."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from orchestrator.tasks.base import RunnableTask

DEFAULT_MAX_CONTENT_LENGTH = 10 * 1024 * 1024
"""Kestra's default limit of a response body read into the outputs (10 MiB)."""


class HttpAuth(KestrelModel):
    """Authentication of a request: ``BASIC`` (username, password) or ``BEARER`` (token)."""

    type: Literal["BASIC", "BEARER"]
    """The scheme."""
    username: str | None = None
    """BASIC: the user name (rendered)."""
    password: str | None = None
    """BASIC: the password (rendered)."""
    token: str | None = None
    """BEARER: the token (rendered)."""


class SslOptions(KestrelModel):
    """TLS settings of a request."""

    insecure_trust_all_certificates: bool = False
    """Accept any server certificate (tests and internal endpoints only)."""


class HttpOptions(KestrelModel):
    """Kestra's ``options`` of the HTTP tasks: timeouts, limits, redirects, authentication."""

    connect_timeout: Duration | None = None
    """Time allowed to open the connection."""
    read_timeout: Duration | None = None
    """Time allowed for the whole response to arrive."""
    read_idle_timeout: Duration | None = None
    """Longest silence allowed while reading the response."""
    connection_pool_idle_timeout: Duration | None = None
    """Accepted for Kestra flows; connections are not pooled between task runs."""
    timeout: Duration | None = None
    """Time allowed for the whole exchange."""
    max_content_length: int = Field(default=DEFAULT_MAX_CONTENT_LENGTH, ge=1)
    """Largest response body read by ``Request`` (bytes); a longer one fails the task."""
    follow_redirects: bool = True
    """Follow 3xx answers."""
    allow_failed: bool = False
    """Do not fail the task on a 4xx or 5xx answer."""
    allowed_response_codes: list[int] | None = None
    """Only these codes succeed (overrides the 2xx/3xx rule)."""
    default_charset: str = "UTF-8"
    """Charset of a text body that does not declare one."""
    basic_auth_user: str | None = None
    """Deprecated spelling of ``auth: {type: BASIC, username}``."""
    basic_auth_password: str | None = None
    """Deprecated spelling of ``auth: {type: BASIC, password}``."""
    auth: HttpAuth | None = None
    """Authentication of the request."""
    headers: dict[str, Any] = Field(default_factory=dict)
    """More headers (Kestra also accepts them here)."""
    logs: list[str] = Field(default_factory=list)
    """What to log: REQUEST_HEADERS, REQUEST_BODY, RESPONSE_HEADERS, RESPONSE_BODY."""


class HttpTask(RunnableTask):
    """What every HTTP task sends: a method to ``uri`` with headers and a body or a form."""

    uri: str
    """The URL to call (rendered)."""
    method: str = "GET"
    """The HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS)."""
    headers: dict[str, Any] = Field(default_factory=dict)
    """Request headers (values rendered)."""
    body: str | dict[str, Any] | list[Any] | None = None
    """The request body: text sent as is, or a map or list sent as JSON (rendered)."""
    form_data: dict[str, Any] | None = None
    """Form fields; sent as ``multipart/form-data`` when ``contentType`` says so (a value
    that is an internal storage URI is uploaded as a file), else URL-encoded."""
    content_type: str = "application/json"
    """The ``Content-Type`` of ``body``."""
    options: HttpOptions = Field(default_factory=HttpOptions)
    """Timeouts, limits, redirects and authentication."""
    ssl_options: SslOptions = Field(default_factory=SslOptions)
    """TLS settings."""
    allow_failed: bool = False
    """Deprecated spelling of ``options.allowFailed``."""
    encrypt_body: bool = False
    """Accepted for Kestra flows; the body is kept in clear in the outputs."""
