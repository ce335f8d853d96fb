"""What differs between databases: URL, driver, parameter style, pooling and error words.

A `Dialect` opens pooled connections to one kind of database and turns its driver's
exceptions into `JdbcConnectionError` / `JdbcQueryError` messages that name the task and
the server, with every secret (password, URL token) masked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from orchestrator.plugin import MASK, TaskFailedError
from plugins.jdbc.errors import JdbcConnectionError, JdbcError, JdbcQueryError
from plugins.jdbc.sqltext import ParamStyle
from plugins.jdbc.urls import JdbcUrl


@dataclass(frozen=True)
class Target:
    """Where and as whom to connect, for one run; ``who`` is the task or trigger id."""

    url: JdbcUrl
    username: str | None
    password: str | None
    who: str
    task_type: str

    def secrets(self) -> set[str]:
        """Every value to mask in messages."""
        return {value for value in (self.password, *self.url.secrets()) if value}

    def clean(self, text: str) -> str:
        """``text`` with every secret masked."""
        for secret in sorted(self.secrets(), key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def server(self) -> str:
        """The server (and user) as messages name it."""
        user = self.username or self.url.parameters.get("user")
        return f"{self.url.display()}" + (f" as '{user}'" if user else "")


class Dialect(ABC):
    """One kind of database."""

    name: ClassVar[str]
    """Its name in messages and pool keys (``postgresql``)."""
    style: ClassVar[ParamStyle]
    """How its driver spells a named parameter."""

    @abstractmethod
    def parse(self, url: str | None) -> JdbcUrl:
        """Parse a JDBC URL of this database (None: its default, if it has one)."""

    @abstractmethod
    def open(self, target: Target) -> AbstractContextManager[Any]:
        """A pooled DB-API connection in autocommit mode, given back on exit.

        Raises:
            Exception: the driver's error when the server cannot be reached.
        """

    def returns_rows(self, cursor: Any, statement: str) -> bool:
        """Whether the statement just run left rows to read."""
        return cursor.description is not None

    def cursor(self, connection: Any) -> Any:
        """A cursor of ``connection``, in its session (and transaction)."""
        return connection.cursor()

    def begin(self, connection: Any) -> None:
        """Start a transaction on an autocommit connection."""
        self.cursor(connection).execute("BEGIN")

    def end(self, connection: Any, *, commit: bool) -> None:
        """End the transaction `begin` started."""
        self.cursor(connection).execute("COMMIT" if commit else "ROLLBACK")

    @contextmanager
    def connect(self, target: Target) -> Iterator[Any]:
        """`open`, with a connection failure worded for the user.

        Raises:
            JdbcConnectionError: the server cannot be reached or refuses the credentials.
            JdbcQueryError: a statement run inside the block failed.
        """
        try:
            opened = self.open(target)
            connection = opened.__enter__()
        except TaskFailedError:  # a missing extra, or already worded
            raise
        except Exception as exc:
            raise JdbcConnectionError(
                target.clean(f"{target.who}: cannot connect to {target.server()}: {_words(exc)}")
            ) from None
        try:
            yield connection
        except BaseException as exc:
            opened.__exit__(type(exc), exc, exc.__traceback__)
            if isinstance(exc, Exception) and not isinstance(exc, TaskFailedError):
                raise self.query_error(target, exc) from None
            raise
        opened.__exit__(None, None, None)

    def query_error(self, target: Target, exc: Exception) -> JdbcError:
        """A statement's failure, worded for the user."""
        message = f"{target.who}: query failed on {target.url.display()}: {_words(exc)}"
        return JdbcQueryError(target.clean(message))


def _words(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


__all__ = ["Dialect", "Target"]
