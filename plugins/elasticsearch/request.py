"""``io.kestra.plugin.elasticsearch.Request``: any call of Elasticsearch's REST API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from plugins.elasticsearch.base import ElasticsearchTask

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_JSON = {"accept": "application/json", "content-type": "application/json"}


class Request(ElasticsearchTask):
    """Send ``method`` ``endpoint`` with ``parameters`` and ``body``.

    Outputs ``status`` (the HTTP code) and ``response`` (the parsed answer). An answer of
    4xx or 5xx fails the task with Elasticsearch's reason.

    Example:
        ```yaml
        - id: count
          type: io.kestra.plugin.elasticsearch.Request
          connection:
            hosts: ["http://localhost:9200"]
          method: GET
          endpoint: orders/_count
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.elasticsearch.Request"

    method: Literal["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"] = "GET"
    """The HTTP method."""
    endpoint: str
    """The path, such as ``my_index/_doc/1`` (a leading ``/`` is optional)."""
    parameters: dict[str, Any] = {}
    """Query string parameters."""
    body: dict[str, Any] | list[Any] | str | None = None
    """The request's body, a map or JSON text."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Send the request.

        Raises:
            ElasticsearchTaskError: unreachable server, or an answer of 4xx/5xx.
        """
        endpoint = "/" + ctx.render_text(self.endpoint, "endpoint").lstrip("/")
        parameters = {
            key: ctx.render_text(value, f"parameters.{key}")
            for key, value in self.parameters.items()
        }
        body = None if self.body is None else self.json_property(ctx, self.body, "body")
        with self.session(ctx) as session, session.calls(f"{self.method} {endpoint}"):
            answer = session.client.perform_request(
                self.method,
                endpoint,
                params=parameters or None,
                headers=_JSON if body is not None else {"accept": "application/json"},
                body=body,
            )
        return {"status": answer.meta.status, "response": answer.body}


__all__ = ["Request"]
