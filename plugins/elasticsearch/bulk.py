"""``io.kestra.plugin.elasticsearch.Bulk`` and ``Load``: many documents from a stored file.

Both read the file as a stream and send it ``chunk`` documents per bulk request, so the
file never sits in memory whole. A document Elasticsearch refuses fails the task, naming
how many and the first reason.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from typing import IO, TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from orchestrator.plugin import StorageError, is_storage_uri
from plugins.elasticsearch.base import ElasticsearchTask
from plugins.elasticsearch.connection import Session
from plugins.elasticsearch.errors import ElasticsearchTaskError
from plugins.serdes.errors import SerdesError
from plugins.serdes.ion import read_rows

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_WITH_SOURCE = ("index", "create", "update")


class _FromFile(ElasticsearchTask):
    from_: str = Field(alias="from")
    """The file of the internal storage."""
    chunk: int = Field(default=1000, ge=1)
    """Documents per bulk request."""

    @contextmanager
    def lines(self, ctx: RunContext) -> Iterator[IO[str]]:
        """The source file as text, read as a stream.

        Raises:
            ElasticsearchTaskError: ``from`` is not a stored file.
        """
        uri = ctx.render_text(self.from_, "from")
        if not is_storage_uri(uri):
            raise ElasticsearchTaskError(
                f"{self.where(ctx)}: from must be an internal storage URI, got {uri!r}"
            )
        try:
            raw = ctx.storage.open(uri)
        except StorageError as exc:
            raise ElasticsearchTaskError(f"{self.where(ctx)}: cannot read {uri}: {exc}") from exc
        with io.TextIOWrapper(raw, encoding="utf-8") as text:
            yield text

    def send(self, ctx: RunContext, session: Session, operations: list[Any]) -> None:
        """Send one bulk request; fail on any refused document.

        Raises:
            ElasticsearchTaskError: the request or a document was refused.
        """
        with session.calls("bulk request"):
            answer = session.client.bulk(operations=operations).body
        if not answer.get("errors"):
            return
        failed = [
            item
            for entry in answer.get("items", [])
            for item in entry.values()
            if item.get("error") is not None
        ]
        first = failed[0] if failed else {}
        error = first.get("error") or {}
        reason = f"{error.get('type')}: {error.get('reason')}" if isinstance(error, dict) else error
        raise ElasticsearchTaskError(
            f"{self.where(ctx)}: Elasticsearch at {session.servers} refused {len(failed)} "
            f"document(s), the first ({first.get('_index')}/{first.get('_id')}): {reason}"
        )


class Bulk(_FromFile):
    """Send a file in Elasticsearch's bulk format (ND-JSON action and source lines).

    Outputs ``size``: the actions sent.

    Example:
        ```yaml
        - id: bulk
          type: io.kestra.plugin.elasticsearch.Bulk
          connection:
            hosts: ["http://localhost:9200"]
          from: "{{ outputs.prepare.uri }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.elasticsearch.Bulk"

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Send the file, ``chunk`` actions per request.

        Raises:
            ElasticsearchTaskError: a line is not JSON, or Elasticsearch refused something.
        """
        size = 0
        with self.lines(ctx) as text, self.session(ctx) as session:
            actions = self._actions(ctx, text)
            while batch := list(islice(actions, self.chunk)):
                self.send(ctx, session, [line for action in batch for line in action])
                size += len(batch)
        return {"size": size}

    def _actions(self, ctx: RunContext, text: IO[str]) -> Iterator[list[Any]]:
        lines = ((number, line) for number, line in enumerate(text, 1) if line.strip())
        for number, line in lines:
            action = self._json(ctx, number, line)
            if not isinstance(action, dict) or len(action) != 1:
                raise ElasticsearchTaskError(
                    f"{self.where(ctx)}: line {number} is not a bulk action such as "
                    '{"index": {"_index": "..."}}'
                )
            if next(iter(action)) not in _WITH_SOURCE:
                yield [action]
                continue
            following = next(lines, None)
            if following is None:
                raise ElasticsearchTaskError(
                    f"{self.where(ctx)}: the action of line {number} has no document line"
                )
            yield [action, self._json(ctx, following[0], following[1])]

    def _json(self, ctx: RunContext, number: int, line: str) -> Any:
        try:
            return json.loads(line)
        except json.JSONDecodeError as exc:
            raise ElasticsearchTaskError(
                f"{self.where(ctx)}: line {number} is not JSON: {exc}"
            ) from exc


class Load(_FromFile):
    """Index the rows of an Ion file into ``index``; output ``size``.

    ``idKey`` names the field holding each document's id (removed from the document unless
    ``removeIdKey`` is false).

    Example:
        ```yaml
        - id: load
          type: io.kestra.plugin.elasticsearch.Load
          connection:
            hosts: ["http://localhost:9200"]
          from: "{{ outputs.to_ion.uri }}"
          index: products
          idKey: product_id
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.elasticsearch.Load"

    index: str
    """The index."""
    id_key: str | None = None
    """The field holding the document's id."""
    remove_id_key: bool = True
    """Remove ``idKey`` from the document."""
    op_type: Literal["INDEX", "CREATE", "UPDATE", "DELETE"] = "INDEX"
    """The bulk action of each row."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Index the rows, ``chunk`` per request.

        Raises:
            ElasticsearchTaskError: a row is not an Ion map, or Elasticsearch refused one.
        """
        index = ctx.render_text(self.index, "index")
        id_key = None if self.id_key is None else ctx.render_text(self.id_key, "idKey")
        routing = self.rendered_routing(ctx)
        size = 0
        with self.lines(ctx) as text, self.session(ctx) as session:
            rows = read_rows(text, str(self.from_), self.type_name)
            try:
                while batch := list(islice(rows, self.chunk)):
                    operations: list[Any] = []
                    for row in batch:
                        operations += self._operation(ctx, row, index, id_key, routing)
                    self.send(ctx, session, operations)
                    size += len(batch)
            except SerdesError as exc:
                raise ElasticsearchTaskError(f"{self.where(ctx)}: {exc}") from exc
        return {"size": size}

    def _operation(
        self, ctx: RunContext, row: Any, index: str, id_key: str | None, routing: str | None
    ) -> list[Any]:
        if not isinstance(row, dict):
            raise ElasticsearchTaskError(f"{self.where(ctx)}: a row is not a map: {row!r}")
        meta: dict[str, Any] = {"_index": index}
        if routing is not None:
            meta["routing"] = routing
        document = dict(row)
        if id_key is not None and row.get(id_key) is not None:
            meta["_id"] = str(row[id_key])
            if self.remove_id_key:
                document.pop(id_key)
        kind = self.op_type.lower()
        if kind == "delete":
            return [{kind: meta}]
        return [{kind: meta}, {"doc": document} if kind == "update" else document]


__all__ = ["Bulk", "Load"]
