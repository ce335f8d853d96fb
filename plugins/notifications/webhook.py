"""Incoming webhooks (Slack, Discord, Teams): a JSON body POSTed to a secret URL.

The URL itself is the credential (anyone holding it may post), so it is a secret of the
run: messages show only its scheme and host.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from orchestrator.tasks.base import RunnableTask
from plugins.notifications.errors import WebhookError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_ANSWER_EXCERPT = 500
"""Characters of an error answer kept in the task's failure message."""


class WebhookOptions(KestrelModel):
    """Kestra's ``options`` of the webhook tasks (timeouts)."""

    connect_timeout: Duration | None = None
    """Time allowed to open the connection."""
    read_timeout: Duration | None = None
    """Time allowed for the answer."""


class IncomingWebhook(RunnableTask):
    """POST a JSON message to an incoming webhook ``url``."""

    url: str = Field(min_length=1)
    """The webhook URL (rendered; a secret: never shown in full)."""
    payload: str | dict[str, Any] | None = None
    """The message as JSON text or a map (rendered), sent as is."""
    options: WebhookOptions = Field(default_factory=WebhookOptions)
    """Timeouts of the request."""

    def body(self, ctx: RunContext) -> dict[str, Any]:
        """The JSON object to send (subclasses build it from their own properties)."""
        return self.rendered_payload(ctx) or {}

    def rendered_payload(self, ctx: RunContext) -> dict[str, Any] | None:
        """``payload`` rendered and parsed, or None."""
        if self.payload is None:
            return None
        rendered = ctx.render(self.payload, "payload")
        if isinstance(rendered, dict):
            return rendered
        try:
            parsed = json.loads(str(rendered))
        except json.JSONDecodeError as exc:
            raise WebhookError(
                f"task '{self.id}': payload is not JSON ({exc})", retryable=False
            ) from None
        if not isinstance(parsed, dict):
            raise WebhookError(f"task '{self.id}': payload must be a JSON object", retryable=False)
        return parsed

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Send the message."""
        url = ctx.render_text(self.url, "url")
        ctx.add_secrets({url})
        timeout = self.options.read_timeout or self.options.connect_timeout
        post_json(url, self.body(ctx), f"task '{self.id}'", timeout or timedelta(seconds=30))
        ctx.logger.info(f"message sent to {endpoint(url)}")
        return None


def endpoint(url: str) -> str:
    """The webhook as messages show it: scheme and host, never the secret path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def post_json(url: str, body: dict[str, Any], who: str, timeout: timedelta) -> bytes:
    """POST ``body`` as JSON; return the answer's body.

    Raises:
        WebhookError: not reachable, or a 4xx/5xx answer (the answer's start in the message).
    """
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    where = endpoint(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout.total_seconds()) as answer:
            return bytes(answer.read())
    except urllib.error.HTTPError as exc:
        text = exc.read(_ANSWER_EXCERPT).decode("utf-8", errors="replace")
        raise WebhookError(
            f"{who}: the webhook at {where} answered {exc.code}: {text}",
            retryable=exc.code >= 500 or exc.code == 429,
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"{who}: cannot reach the webhook at {where}: {reason}") from None


__all__ = ["IncomingWebhook", "WebhookOptions", "endpoint", "post_json"]
