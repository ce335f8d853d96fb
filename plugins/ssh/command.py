"""``io.kestra.plugin.fs.ssh.Command``: run shell commands on a remote host over SSH."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.plugin import TaskFailedError
from orchestrator.tasks.base import RunnableTask
from plugins.scripts.protocol import OutputCollector
from plugins.ssh.connection import load_private_key, open_client, paramiko_module
from plugins.ssh.errors import SshCommandFailedError, SshError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHUNK = 32_768
_IDLE_WAIT = 0.05
"""Seconds to wait for cancellation when the channel has nothing to read."""


class AuthMethod(StrEnum):
    """How `Command` logs in."""

    PASSWORD = "PASSWORD"
    PUBLIC_KEY = "PUBLIC_KEY"


class Command(RunnableTask):
    """Run commands on a remote host over SSH; outputs ``exitCode``.

    The commands run as one script in the remote user's shell, one line each; the exit
    code is the script's. Standard output is logged at INFO and standard error at WARN,
    and ``::{"outputs": {...}}::`` lines fill the ``vars`` output as in the script tasks.

    Example:
        ```yaml
        - id: command
          type: io.kestra.plugin.fs.ssh.Command
          host: localhost
          authMethod: PUBLIC_KEY
          username: root
          privateKey: "{{ secret('SSH_PRIVATE_KEY') }}"
          commands:
            - touch kestra_was_here
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.fs.ssh.Command"

    host: str
    """The remote host's name or address."""
    port: int | str = 22
    """The remote SSH port."""
    username: str | None = None
    """The remote user."""
    auth_method: AuthMethod = AuthMethod.PASSWORD
    """``PASSWORD`` or ``PUBLIC_KEY`` (with ``privateKey``)."""
    password: str | None = None
    """The password, for ``PASSWORD``."""
    private_key: str | None = None
    """An OpenSSH or PEM private key (text), for ``PUBLIC_KEY``."""
    private_key_passphrase: str | None = None
    """The passphrase of an encrypted ``privateKey``."""
    commands: list[str] = Field(min_length=1)
    """The commands to run, in order."""
    env: dict[str, Any] = Field(default_factory=dict)
    """Environment variables of the commands (values rendered, masked when secret)."""
    warning_on_std_err: bool = False
    """End in WARNING when the commands wrote anything to stderr."""
    strict_host_key_checking: str = "no"
    """``yes`` checks the host key against the worker's ``known_hosts``; ``no`` accepts any."""
    enable_ssh_rsa1: bool = False
    """Kestra's switch for the SHA-1 ``ssh-rsa`` signature; paramiko negotiates it itself."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Connect, run the commands and return ``exitCode`` and ``vars``.

        Raises:
            SshError: the host cannot be reached or the login fails.
            SshCommandFailedError: the commands ended with a non-zero exit code.
        """
        paramiko = paramiko_module(self.type)
        host = ctx.render_text(self.host, "host")
        port = self._port(ctx)
        where = f"task {self.id!r} on {host}:{port}"
        username = ctx.render_text(self.username, "username") if self.username else None
        secrets = self._credentials(ctx)
        ctx.add_secrets({value for value in secrets.values() if value})
        key = None
        if self.auth_method is AuthMethod.PUBLIC_KEY:
            if not secrets["key"]:
                raise SshError(f"{where}: authMethod PUBLIC_KEY needs privateKey", retryable=False)
            key = load_private_key(paramiko, where, secrets["key"], secrets["passphrase"])
        script = self._script(ctx, where)
        checking = ctx.render_text(self.strict_host_key_checking, "strictHostKeyChecking")
        client = open_client(
            paramiko,
            where,
            host=host,
            port=port,
            username=username,
            password=secrets["password"] if key is None else None,
            private_key=key,
            strict_host_key_checking=checking.strip().lower() == "yes",
        )
        collector = OutputCollector(ctx.logger)
        try:
            exit_code = _execute(paramiko, client, script, collector, ctx, where)
        finally:
            client.close()
        if exit_code != 0:
            tail = [ctx.mask(line) for line in collector.stderr_tail]
            raise SshCommandFailedError(where, exit_code, tail)
        if self.warning_on_std_err and collector.stderr_count:
            ctx.set_warning(f"the commands wrote {collector.stderr_count} line(s) to stderr")
        return {
            "exitCode": exit_code,
            "vars": collector.vars,
            "stdOutLineCount": collector.stdout_count,
            "stdErrLineCount": collector.stderr_count,
        }

    def _port(self, ctx: RunContext) -> int:
        text = ctx.render_text(self.port, "port").strip()
        if not text.isdigit() or not 0 < int(text) < 65536:
            raise SshError(f"task {self.id!r}: port {text!r} is not a TCP port", retryable=False)
        return int(text)

    def _credentials(self, ctx: RunContext) -> dict[str, str | None]:
        def rendered(value: str | None, path: str) -> str | None:
            return ctx.render_text(value, path) if value else None

        return {
            "password": rendered(self.password, "password"),
            "key": rendered(self.private_key, "privateKey"),
            "passphrase": rendered(self.private_key_passphrase, "privateKeyPassphrase"),
        }

    def _script(self, ctx: RunContext, where: str) -> str:
        # Exported in the script rather than sent as SSH "env" requests: sshd drops every
        # variable its AcceptEnv does not list, which by default is all but LANG and LC_*.
        lines = []
        for name, value in ctx.render(self.env, "env").items():
            if not _ENV_NAME.match(str(name)):
                raise SshError(f"{where}: {name!r} is not a variable name", retryable=False)
            lines.append(f"export {name}={shlex.quote(str(value))}")
        lines.extend(str(line) for line in ctx.render(self.commands, "commands"))
        return "\n".join(lines)


def _execute(
    paramiko: Any,
    client: Any,
    script: str,
    collector: OutputCollector,
    ctx: RunContext,
    where: str,
) -> int:
    """Run ``script`` on one channel, streaming both outputs; return its exit code."""
    try:
        channel = client.get_transport().open_session()
        channel.exec_command(script)
        channel.shutdown_write()  # stdin at its end: a command reading it must not wait
    except paramiko.SSHException as exc:
        raise SshError(f"{where}: cannot start the commands: {exc}") from exc
    stdout = _Lines(collector.stdout)
    stderr = _Lines(collector.stderr)
    try:
        while True:
            if ctx.cancelled.is_set():
                # Closing the channel (finally) ends the session; without a pty sshd sends
                # no SIGHUP, so a remote command that writes nothing runs on to its end.
                raise TaskFailedError("Command killed", retryable=False, error_type="Killed")
            busy = False
            if channel.recv_ready():
                stdout.feed(channel.recv(_CHUNK))
                busy = True
            if channel.recv_stderr_ready():
                stderr.feed(channel.recv_stderr(_CHUNK))
                busy = True
            if busy:
                continue
            if channel.exit_status_ready() and channel.eof_received:
                break
            ctx.cancelled.wait(_IDLE_WAIT)
        # Data that came in between the last reads and the end of file.
        while channel.recv_ready():
            stdout.feed(channel.recv(_CHUNK))
        while channel.recv_stderr_ready():
            stderr.feed(channel.recv_stderr(_CHUNK))
        stdout.close()
        stderr.close()
        # -1 when the server sent no exit status (the shell was killed by a signal).
        return int(channel.recv_exit_status())
    finally:
        channel.close()


class _Lines:
    """Splits a byte stream into text lines for a callback (the last one on `close`)."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self._on_line = on_line
        self._pending = b""

    def feed(self, data: bytes) -> None:
        *lines, self._pending = (self._pending + data).split(b"\n")
        for line in lines:
            self._on_line(_decoded(line))

    def close(self) -> None:
        if self._pending:
            self._on_line(_decoded(self._pending))
            self._pending = b""


def _decoded(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r")


__all__ = ["AuthMethod", "Command"]
