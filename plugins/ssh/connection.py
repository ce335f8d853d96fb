"""Opening an SSH session with paramiko: the key, the host key policy and clear failures.

paramiko is imported through `plugins.extras.require` at run time only, so a worker
without the ``[ssh]`` extra still validates flows that use the SSH tasks.
"""

from __future__ import annotations

import io
from typing import Any

from plugins.extras import require
from plugins.ssh.errors import SshError

CONNECT_TIMEOUT = 30.0
"""Seconds to open the TCP connection, read the banner and authenticate."""

_KEY_CLASSES = ("Ed25519Key", "ECDSAKey", "RSAKey")
"""paramiko's key types, tried in turn: a private key text does not say its type up front."""


def paramiko_module(task_type: str) -> Any:
    """paramiko, or a task failure that names the ``[ssh]`` extra."""
    return require("paramiko", extra="ssh", task_type=task_type)


def load_private_key(paramiko: Any, where: str, text: str, passphrase: str | None) -> Any:
    """Parse an OpenSSH or PEM private key (Ed25519, ECDSA or RSA).

    Raises:
        SshError: the key is encrypted and no passphrase is given, or it cannot be read.
    """
    for name in _KEY_CLASSES:
        key_class = getattr(paramiko, name, None)
        if key_class is None:
            continue
        try:
            return key_class.from_private_key(io.StringIO(text.strip() + "\n"), passphrase)
        except paramiko.PasswordRequiredException as exc:
            raise SshError(
                f"{where}: the privateKey is encrypted; set privateKeyPassphrase",
                retryable=False,
            ) from exc
        except (paramiko.SSHException, ValueError):
            continue
    raise SshError(
        f"{where}: cannot read the privateKey (an OpenSSH or PEM Ed25519, ECDSA or RSA "
        "private key is expected; or the passphrase is wrong)",
        retryable=False,
    )


def open_client(
    paramiko: Any,
    where: str,
    *,
    host: str,
    port: int,
    username: str | None,
    password: str | None,
    private_key: Any,
    strict_host_key_checking: bool,
) -> Any:
    """A connected and authenticated ``paramiko.SSHClient``.

    Only the credentials given are tried: no agent and no keys of the worker's ``~/.ssh``,
    so a task never logs in with the worker's own identity by accident.

    Raises:
        SshError: the host cannot be reached, its key is refused, or the login fails.
    """
    client = paramiko.SSHClient()
    if strict_host_key_checking:
        client.load_system_host_keys()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
    else:
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    server = f"{host}:{port}"
    try:
        client.connect(
            host,
            port=port,
            username=username,
            password=password,
            pkey=private_key,
            timeout=CONNECT_TIMEOUT,
            banner_timeout=CONNECT_TIMEOUT,
            auth_timeout=CONNECT_TIMEOUT,
            allow_agent=False,
            look_for_keys=False,
        )
    except paramiko.AuthenticationException as exc:
        client.close()
        method = "private key" if private_key is not None else "password"
        raise SshError(
            f"{where}: authentication as {username!r} with a {method} failed on {server}",
            retryable=False,
        ) from exc
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise SshError(
            f"{where}: the host key of {server} does not match", retryable=False
        ) from exc
    except paramiko.SSHException as exc:
        client.close()
        raise SshError(f"{where}: SSH failure with {server}: {exc}") from exc
    except OSError as exc:  # refused, unreachable, unknown name or timed out
        client.close()
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise SshError(f"{where}: cannot connect to {server}: {reason}") from exc
    return client


__all__ = ["CONNECT_TIMEOUT", "load_private_key", "open_client", "paramiko_module"]
