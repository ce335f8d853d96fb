"""``io.kestra.plugin.elasticsearch.Search`` and ``Scroll``: documents matching a query."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from plugins.elasticsearch.base import ElasticsearchTask
from plugins.serdes.ion import write_rows

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

SCROLL_KEEP_ALIVE = "1m"
"""How long Elasticsearch keeps a scroll between two pages."""


class _Query(ElasticsearchTask):
    indexes: list[str] | None = None
    """The indexes to search (default: all)."""
    request: dict[str, Any] | str = {}
    """The search request body (``query``, ``sort``, ``size``...), a map or JSON text."""

    def body(self, ctx: RunContext) -> dict[str, Any]:
        """The rendered request body."""
        body = self.json_property(ctx, self.request, "request")
        return body if isinstance(body, dict) else {}

    def index(self, ctx: RunContext) -> str | None:
        """The rendered indexes, comma-joined (None: all of them)."""
        if not self.indexes:
            return None
        return ",".join(ctx.render_text(index, "indexes") for index in self.indexes)


class Search(_Query):
    """Search documents; their ``_source`` become ``rows``, ``row`` or a stored file.

    ``fetchType``: FETCH (``rows``), FETCH_ONE (``row``, the first hit), STORE (``uri``, an
    Ion file of the hits) or NONE. Outputs ``size`` (hits returned) and ``total`` too.

    Example:
        ```yaml
        - id: search
          type: io.kestra.plugin.elasticsearch.Search
          connection:
            hosts: ["http://localhost:9200"]
          indexes: [orders]
          request:
            query:
              term: {status: paid}
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.elasticsearch.Search"

    fetch_type: Literal["FETCH", "FETCH_ONE", "STORE", "NONE"] = "FETCH"
    """What to do with the hits."""
    content_type: str | None = None
    """Accepted for Kestra's flows (requests are JSON)."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the search.

        Raises:
            ElasticsearchTaskError: the server is unreachable or refuses the request.
        """
        with self.session(ctx) as session, session.calls("search"):
            answer = session.client.search(
                index=self.index(ctx), body=self.body(ctx), routing=self.rendered_routing(ctx)
            ).body
        hits = answer["hits"]["hits"]
        total = answer["hits"].get("total")
        outputs: dict[str, Any] = {
            "size": len(hits),
            "total": total.get("value") if isinstance(total, dict) else total,
        }
        rows = [hit.get("_source") for hit in hits]
        if self.fetch_type == "FETCH":
            outputs["rows"] = rows
        elif self.fetch_type == "FETCH_ONE":
            outputs["row"] = rows[0] if rows else None
        elif self.fetch_type == "STORE":
            with ctx.working_directory() as folder:
                path = folder / "search.ion"
                with path.open("w", encoding="utf-8") as out:
                    write_rows(rows, out, self.type_name)
                outputs["uri"] = ctx.put_file(path)
        return outputs


class Scroll(_Query):
    """Read every document matching a query, page by page, into an Ion file.

    Outputs ``uri`` and ``size`` (documents read).

    Example:
        ```yaml
        - id: export
          type: io.kestra.plugin.elasticsearch.Scroll
          connection:
            hosts: ["http://localhost:9200"]
          indexes: [orders]
          request:
            query: {match_all: {}}
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.elasticsearch.Scroll"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Scroll through the hits, writing each page as it comes.

        Raises:
            ElasticsearchTaskError: the server is unreachable or refuses the request.
        """
        size = 0
        with ctx.working_directory() as folder, self.session(ctx) as session:
            path = Path(folder) / "scroll.ion"
            with path.open("w", encoding="utf-8") as out, session.calls("scroll"):
                answer = session.client.search(
                    index=self.index(ctx),
                    body=self.body(ctx),
                    routing=self.rendered_routing(ctx),
                    scroll=SCROLL_KEEP_ALIVE,
                ).body
                scroll_id = answer.get("_scroll_id")
                try:
                    while hits := answer["hits"]["hits"]:
                        size += write_rows(
                            (hit.get("_source") for hit in hits), out, self.type_name
                        )
                        if scroll_id is None:
                            break
                        answer = session.client.scroll(
                            scroll_id=scroll_id, scroll=SCROLL_KEEP_ALIVE
                        ).body
                        scroll_id = answer.get("_scroll_id", scroll_id)
                finally:
                    if scroll_id is not None:
                        session.client.options(ignore_status=404).clear_scroll(scroll_id=scroll_id)
            uri = ctx.put_file(path)
        return {"uri": uri, "size": size}


__all__ = ["Scroll", "Search"]
