"""Kestra's JDBC ``Trigger``: run a query on an interval, start an execution when it has rows.

The execution's ``trigger`` variables are the query's outputs: ``row`` (FETCH_ONE),
``rows`` (FETCH) or ``uri`` (STORE, a file of the internal storage), and ``size``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, ClassVar

from pydantic import Field, model_validator

from orchestrator.scheduler.polling import Poll, PollContext, PollingTrigger
from plugins.jdbc.dialect import Dialect, Target
from plugins.jdbc.execute import run_statements
from plugins.jdbc.results import FetchType, Row, store_name, write_ion
from plugins.jdbc.task import DEFAULT_FETCH_SIZE


class JdbcTrigger(PollingTrigger):
    """Poll a database with ``sql``; one execution each time it returns rows."""

    dialect: ClassVar[Dialect]
    url_required: ClassVar[bool] = True

    url: str | None = None
    """The JDBC URL of the database (rendered)."""
    username: str | None = None
    """The user (rendered)."""
    password: str | None = None
    """The password (rendered; never shown)."""
    sql: str
    """The query (rendered with ``flow``)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Values of the ``:name`` parameters of the SQL."""
    fetch_type: FetchType = FetchType.NONE
    """What the execution gets: ``row``, ``rows`` or ``uri`` (NONE: only ``size``)."""
    fetch_size: int = Field(default=DEFAULT_FETCH_SIZE, ge=1)
    """Rows read from the server at a time."""
    time_zone_id: str | None = None
    """Accepted for Kestra flows."""

    @model_validator(mode="after")
    def _url_given(self) -> JdbcTrigger:
        if self.url_required and not self.url:
            raise ValueError(f"{self.type} needs a url (jdbc:{self.dialect.name}://...)")
        return self

    def evaluate(self, context: PollContext) -> list[Poll]:
        """Run the query; one `Poll` with its outputs when it returned at least a row."""
        variables = {
            **context.variables,
            "flow": {"namespace": context.ref.namespace, "id": context.ref.flow_id},
        }

        def render(value: Any, path: str) -> Any:
            return context.renderer.render_recursive(
                value, variables, task_id=self.id, property_path=path
            )

        target = Target(
            self.dialect.parse(render(self.url, "url") if self.url else None),
            render(self.username, "username") if self.username else None,
            render(self.password, "password") if self.password else None,
            f"trigger '{self.id}'",
            self.type,
        )
        sql, parameters = render(self.sql, "sql"), render(self.parameters, "parameters")
        # Rows are counted through a file first: a trigger learns "any rows?" without
        # holding them, and STORE then moves that file to the internal storage.
        with TemporaryDirectory(prefix="kestrel-jdbc-trigger-") as folder:
            stored: list[Path] = []

            def store(rows: Iterator[Row]) -> tuple[str, int]:
                path = Path(folder) / store_name()
                stored.append(path)
                return str(path), write_ion(rows, path)

            wanted = FetchType.STORE if self.fetch_type == FetchType.NONE else self.fetch_type
            with self.dialect.connect(target) as connection:
                results = run_statements(
                    self.dialect, connection, sql, parameters, wanted, self.fetch_size, store
                )
            outputs = results[-1] if results else {}
            if not outputs.get("size"):
                return []
            if self.fetch_type == FetchType.STORE:
                outputs["uri"] = _to_storage(stored[-1], context)
            elif self.fetch_type == FetchType.NONE:
                outputs = {"size": outputs["size"]}
        return [Poll(outputs)]


def _to_storage(path: Path, context: PollContext) -> str:
    from orchestrator.settings import load_settings
    from orchestrator.storage import LocalStorage

    storage = LocalStorage.from_settings(load_settings().storage)
    key = f"{context.ref.namespace}/{context.ref.flow_id}/triggers/{uuid.uuid4().hex}/{path.name}"
    with path.open("rb") as stream:
        return storage.put(key, stream)


__all__ = ["JdbcTrigger"]
