"""Kestra's JDBC ``Query`` and ``Queries``, written once for every database.

Each database's module binds these to its `Dialect` and its type names. Properties and
outputs are Kestra's: ``url``, ``username``, ``password``, ``sql``, ``parameters`` (named,
``:name`` in the SQL), ``fetchType``; outputs ``row``, ``rows``, ``uri`` and ``size``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, model_validator

from orchestrator.tasks.base import RunnableTask
from plugins.jdbc.dialect import Dialect, Target
from plugins.jdbc.execute import in_transaction, run_statements
from plugins.jdbc.results import FetchType, Row, resolve_fetch_type, store_name, write_ion

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

DEFAULT_FETCH_SIZE = 10_000
"""Rows read from the server at a time (Kestra's default)."""


class JdbcTask(RunnableTask):
    """Where a database task connects: ``url``, ``username`` and ``password``."""

    dialect: ClassVar[Dialect]
    url_required: ClassVar[bool] = True
    """Network databases need a URL; DuckDB and SQLite default to a database in memory."""

    url: str | None = None
    """The JDBC URL of the database (rendered), for example
    ``jdbc:postgresql://127.0.0.1:5432/db``."""
    username: str | None = None
    """The user (rendered)."""
    password: str | None = None
    """The password (rendered; masked in logs and outputs)."""
    time_zone_id: str | None = None
    """Accepted for Kestra flows: values are returned in the zone the driver gives."""

    @model_validator(mode="after")
    def _url_given(self) -> JdbcTask:
        if self.url_required and not self.url:
            raise ValueError(f"{self.type} needs a url (jdbc:{self.dialect.name}://...)")
        return self

    def target(self, ctx: RunContext) -> Target:
        """Render the connection properties; the password becomes a secret of the run."""
        url = ctx.render_text(self.url, "url") if self.url is not None else None
        password = ctx.render_text(self.password, "password") if self.password else None
        username = ctx.render_text(self.username, "username") if self.username else None
        if password:
            ctx.add_secrets({password})
        parsed = self.dialect.parse(url)
        ctx.add_secrets(parsed.secrets())
        return Target(parsed, username, password, f"task '{self.id}'", self.type)


class JdbcQueryBase(JdbcTask):
    """What ``Query`` and ``Queries`` share: the SQL, its parameters, how rows return."""

    sql: str
    """The SQL (rendered)."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Values of the ``:name`` parameters of the SQL (rendered), sent apart from it."""
    fetch_type: FetchType | None = None
    """NONE, FETCH_ONE (``row``), FETCH (``rows``, ``size``) or STORE (``uri``, ``size``)."""
    fetch: bool = False
    """Deprecated: ``fetchType: FETCH``."""
    fetch_one: bool = False
    """Deprecated: ``fetchType: FETCH_ONE``."""
    store: bool = False
    """Deprecated: ``fetchType: STORE``."""
    fetch_size: int = Field(default=DEFAULT_FETCH_SIZE, ge=1)
    """Rows read from the server at a time."""
    auto_commit: bool = True
    """Accepted for Kestra flows: each statement commits unless ``Queries`` groups them."""

    def resolved_fetch_type(self) -> FetchType:
        """``fetchType``, or what the deprecated booleans ask for."""
        return resolve_fetch_type(
            self.fetch_type, fetch=self.fetch, fetch_one=self.fetch_one, store=self.store
        )

    def execute(
        self, ctx: RunContext, *, transaction: bool, variables: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Connect, run the SQL, and return the outputs of each statement that gave rows.

        ``variables`` are more variables for rendering ``sql`` (DuckDB's ``workingDir``).
        """
        target = self.target(ctx)
        sql = ctx.render_text(self.sql, "sql", variables)
        parameters = ctx.render(self.parameters, "parameters")
        fetch_type = self.resolved_fetch_type()

        def store(rows: Iterator[Row]) -> tuple[str, int]:
            with ctx.working_directory() as folder:
                name = store_name()
                size = write_ion(rows, folder / name)
                return ctx.put_file(folder / name, name), size

        with self.dialect.connect(target) as connection:

            def work() -> list[dict[str, Any]]:
                return run_statements(
                    self.dialect, connection, sql, parameters, fetch_type, self.fetch_size, store
                )

            results = in_transaction(self.dialect, connection, work) if transaction else work()
        ctx.logger.debug(f"{len(results)} result(s) from {target.url.display()}")
        return results


class Query(JdbcQueryBase):
    """Run SQL on a database; the outputs of its first result follow ``fetchType``."""

    after_sql: str | None = None
    """SQL run after ``sql`` in the same transaction (rendered), its results ignored."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the SQL and return ``row`` / ``rows`` / ``uri`` with ``size``."""
        return self.outputs(ctx)

    def outputs(self, ctx: RunContext, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """`run`'s outputs, ``variables`` added for rendering ``sql``."""
        sql = self.sql if self.after_sql is None else f"{self.sql};\n{self.after_sql}"
        task = self if self.after_sql is None else self.model_copy(update={"sql": sql})
        results = task.execute(ctx, transaction=self.after_sql is not None, variables=variables)
        return results[0] if results else {}


class Queries(JdbcQueryBase):
    """Run several statements (separated by ``;``), in one transaction by default.

    Outputs ``outputs``: for each statement that returned rows, its ``row`` / ``rows`` /
    ``uri`` and ``size``.
    """

    transaction: bool = True
    """Run every statement in one transaction: all commit, or none."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Run the statements; one output per statement that returned rows."""
        return self.outputs(ctx)

    def outputs(self, ctx: RunContext, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """`run`'s outputs, ``variables`` added for rendering ``sql``."""
        results = self.execute(ctx, transaction=self.transaction, variables=variables)
        return {"outputs": results}


__all__ = ["DEFAULT_FETCH_SIZE", "JdbcQueryBase", "JdbcTask", "Queries", "Query"]
