"""``io.kestra.plugin.core.http.Trigger``: request a URL on an interval, fire on a response.

The request is rendered, sent, and ``responseCondition`` rendered with ``response``
(``statusCode``, ``body``, ``headers``); when it renders to true, one execution starts with
``trigger.uri``, ``trigger.code``, ``trigger.body`` and ``trigger.headers``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from orchestrator.models.duration import Duration
from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger

_MAX_BODY = 1024 * 1024  # bytes of a response kept as ``trigger.body``


class HttpTrigger(PollingTrigger):
    """Poll an HTTP endpoint; start an execution when ``responseCondition`` holds."""

    type_name: ClassVar[str] = "kestrel.core.http.Trigger"

    uri: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    body: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    content_type: str | None = None
    response_condition: str = "{{ response.statusCode < 400 }}"
    timeout: Duration = Field(default=timedelta(seconds=30))

    def evaluate(self, context: PollContext) -> list[Poll]:
        """Send the request; one `Poll` when the response satisfies ``responseCondition``."""
        render = context.renderer.render
        variables = {"flow": {"namespace": context.ref.namespace, "id": context.ref.flow_id}}
        uri = render(self.uri, variables, task_id=self.id, property_path="uri")
        headers = {
            key: render(value, variables, task_id=self.id, property_path=f"headers.{key}")
            for key, value in self.headers.items()
        }
        if self.content_type:
            headers.setdefault("Content-Type", self.content_type)
        data = None
        if self.body is not None:
            data = render(self.body, variables, task_id=self.id, property_path="body").encode()
        request = urllib.request.Request(uri, data=data, method=self.method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout.total_seconds()) as reply:
                code, raw, reply_headers = reply.status, reply.read(_MAX_BODY), reply.headers
        except urllib.error.HTTPError as exc:  # a 4xx/5xx is a response too
            code, raw, reply_headers = exc.code, exc.read(_MAX_BODY), exc.headers
        text = raw.decode("utf-8", errors="replace")
        response: dict[str, Any] = {
            "statusCode": code,
            "body": text,  # as Kestra: `json(response.body).field` reads a JSON answer
            "headers": {key: value for key, value in reply_headers.items()},
        }
        verdict = render(
            self.response_condition,
            {**variables, "response": response},
            task_id=self.id,
            property_path="responseCondition",
        )
        if verdict.strip().lower() != "true":
            return []
        return [Poll({"uri": uri, "code": code, "body": text, "headers": response["headers"]})]
