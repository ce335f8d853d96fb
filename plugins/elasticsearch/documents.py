"""``io.kestra.plugin.elasticsearch.Get`` and ``Put``: one document by its id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from plugins.elasticsearch.base import ElasticsearchTask
from plugins.elasticsearch.errors import ElasticsearchTaskError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_REFRESH = {"IMMEDIATE": "true", "WAIT_UNTIL": "wait_for", "NONE": "false"}


class Get(ElasticsearchTask):
    """Read the document ``key`` of ``index``; output ``row`` (its source).

    A missing document gives no ``row``, or fails the task with ``errorOnMissing``.

    Example:
        ```yaml
        - id: get
          type: io.kestra.plugin.elasticsearch.Get
          connection:
            hosts: ["http://localhost:9200"]
          index: orders
          key: "{{ inputs.order_id }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.elasticsearch.Get"

    index: str
    """The index."""
    key: str
    """The document's id."""
    doc_version: int | None = None
    """Only this version of the document."""
    error_on_missing: bool = False
    """Fail when there is no such document."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Read the document.

        Raises:
            ElasticsearchTaskError: unreachable server, missing index, or (with
                ``errorOnMissing``) a missing document.
        """
        index = ctx.render_text(self.index, "index")
        key = ctx.render_text(self.key, "key")
        with self.session(ctx) as session, session.calls(f"get of {index}/{key}"):
            answer = (
                session.client.options(ignore_status=404)
                .get(
                    index=index,
                    id=key,
                    routing=self.rendered_routing(ctx),
                    version=self.doc_version,
                )
                .body
            )
        if answer.get("found"):
            return {"row": answer.get("_source")}
        if "error" in answer:  # the index itself is missing
            raise ElasticsearchTaskError(
                f"{self.where(ctx)}: no index {index} on Elasticsearch at {session.servers}"
            )
        if self.error_on_missing:
            raise ElasticsearchTaskError(
                f"{self.where(ctx)}: no document {key} in {index} on {session.servers}"
            )
        return {}


class Put(ElasticsearchTask):
    """Write ``value`` as the document ``key`` of ``index`` (a new id if no key).

    Outputs ``id``, ``index``, ``version`` and ``result`` (created, updated...).

    Example:
        ```yaml
        - id: put
          type: io.kestra.plugin.elasticsearch.Put
          connection:
            hosts: ["http://localhost:9200"]
          index: orders
          key: "42"
          value: {status: paid}
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.elasticsearch.Put"

    index: str
    """The index."""
    key: str | None = None
    """The document's id (Elasticsearch makes one if none)."""
    value: dict[str, Any] | str
    """The document, a map or JSON text."""
    op_type: Literal["INDEX", "CREATE", "UPDATE", "DELETE"] | None = None
    """INDEX (the default) replaces, CREATE fails on an existing id, UPDATE merges."""
    refresh_policy: Literal["IMMEDIATE", "WAIT_UNTIL", "NONE"] = "NONE"
    """When the change becomes visible to searches."""
    content_type: str | None = None
    """Accepted for Kestra's flows (documents are JSON)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Write the document.

        Raises:
            ElasticsearchTaskError: the server is unreachable or refuses the document.
        """
        index = ctx.render_text(self.index, "index")
        key = None if self.key is None else ctx.render_text(self.key, "key")
        document = self.json_property(ctx, self.value, "value")
        refresh = _REFRESH[self.refresh_policy]
        routing = self.rendered_routing(ctx)
        with self.session(ctx) as session, session.calls(f"put into {index}"):
            client = session.client
            if self.op_type == "UPDATE":
                if key is None:
                    raise ElasticsearchTaskError(f"{self.where(ctx)}: UPDATE needs a key")
                answer = client.update(
                    index=index, id=key, doc=document, refresh=refresh, routing=routing
                ).body
            elif self.op_type == "DELETE":
                if key is None:
                    raise ElasticsearchTaskError(f"{self.where(ctx)}: DELETE needs a key")
                answer = client.delete(index=index, id=key, refresh=refresh, routing=routing).body
            else:
                answer = client.index(
                    index=index,
                    id=key,
                    document=document,
                    op_type="create" if self.op_type == "CREATE" else None,
                    refresh=refresh,
                    routing=routing,
                ).body
        return {
            "id": answer.get("_id"),
            "index": answer.get("_index"),
            "version": answer.get("_version"),
            "result": answer.get("result"),
        }


__all__ = ["Get", "Put"]
