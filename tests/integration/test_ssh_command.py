"""``io.kestra.plugin.fs.ssh.Command`` against a real OpenSSH server started per module.

The server runs from ``/usr/sbin/sshd`` (installed with apt-get when missing: Debian's
``openssh-server``) on a free port of 127.0.0.1, with its own host key, config and
authorised client key under a temporary folder. It logs in the user running the tests with
key authentication only: setting a password on a real account is not the tests' business.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import unavailable
from messaging_services import free_port
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.models.log_level import LogLevel
from plugins.ssh import SshCommandFailedError, SshError

pytestmark = pytest.mark.integration

SSHD = Path("/usr/sbin/sshd")
TYPE = "io.kestra.plugin.fs.ssh.Command"
START_TIMEOUT = 20.0


@dataclass(frozen=True)
class SshServer:
    """The running sshd: where it listens and the client key it accepts."""

    port: int
    username: str
    private_key: str
    locked_key: str
    """Another authorised key, encrypted with the passphrase ``open sesame``."""


def _install_sshd() -> None:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        unavailable(f"{SSHD} is missing and apt-get cannot install it here (needs root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "openssh-server"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stderr[-3000:]}"
    assert SSHD.exists(), f"{SSHD} is still missing after installing openssh-server"


def _keygen(path: Path, passphrase: str = "") -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "kestrel-test", "-f", path],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path.read_text()


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sshd exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            # Not listening yet: wait a little, on the process so that its exit shows at once.
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.05)
    pytest.fail(f"sshd did not listen on {port} within {START_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A real sshd accepting one ed25519 client key (and another one with a passphrase)."""
    if not SSHD.exists():
        _install_sshd()
    if shutil.which("ssh-keygen") is None:
        unavailable("ssh-keygen is missing (Debian's openssh-client)")
    folder = tmp_path_factory.mktemp("sshd")
    _keygen(folder / "host_key")
    client_key = _keygen(folder / "client_key")
    locked_key = _keygen(folder / "locked_key", passphrase="open sesame")
    authorized = folder / "authorized_keys"
    authorized.write_text(
        (folder / "client_key.pub").read_text() + (folder / "locked_key.pub").read_text()
    )
    # sshd refuses to start without its privilege separation folder (a tmpfs on Debian).
    try:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    except OSError as exc:
        unavailable(f"cannot create /run/sshd for sshd: {exc}")
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {authorized}\nPidFile {folder / 'sshd.pid'}\n"
        "PubkeyAuthentication yes\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        "UsePAM no\nStrictModes no\n"
    )
    log = folder / "sshd.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)], stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        _wait_listening(process, port, log)
        yield SshServer(
            port=port, username=getpass.getuser(), private_key=client_key, locked_key=locked_key
        )
    finally:
        process.terminate()
        process.wait(10)


def _base(server: SshServer, **extra: Any) -> dict[str, Any]:
    return {
        "type": TYPE,
        "host": "127.0.0.1",
        "port": str(server.port),
        "username": server.username,
        "authMethod": "PUBLIC_KEY",
        "privateKey": server.private_key,
        **extra,
    }


def test_commands_run_with_env_and_give_outputs_and_logs(sshd: SshServer, tmp_path: Path) -> None:
    definition = _base(
        sshd,
        env={"GREETING": "it's {{ who }}"},
        commands=[
            'echo "hello $GREETING"',
            'echo \'::{"outputs":{"answer":42,"user":"\'"$(id -un)"\'"}}::\'',
            "echo careful >&2",
            "cat",  # stdin is closed: reading it ends at once
        ],
    )
    logs = Logs()
    task = task_of(definition)
    outputs = task.run(context_of(task, tmp_path, logs, who="me")) or {}
    assert outputs["exitCode"] == 0
    assert outputs["vars"] == {"answer": 42, "user": sshd.username}
    assert (outputs["stdOutLineCount"], outputs["stdErrLineCount"]) == (2, 1)
    levels = {entry.message: entry.level for entry in logs.entries}
    assert levels["hello it's me"] is LogLevel.INFO
    assert levels["careful"] is LogLevel.WARN


def test_a_failing_command_fails_the_task_with_its_exit_code(
    sshd: SshServer, tmp_path: Path
) -> None:
    with pytest.raises(SshCommandFailedError) as caught:
        run_task(_base(sshd, commands=["echo broken >&2", "exit 3"]), tmp_path)
    assert caught.value.exit_code == 3
    message = str(caught.value)
    assert f"task 't' on 127.0.0.1:{sshd.port}" in message
    assert "exit code 3" in message
    assert "broken" in message


def test_a_key_the_server_does_not_know_fails_authentication(
    sshd: SshServer, tmp_path: Path
) -> None:
    stranger = _keygen(tmp_path / "stranger")
    with pytest.raises(SshError) as caught:
        run_task(_base(sshd, privateKey=stranger, commands=["true"]), tmp_path)
    message = str(caught.value)
    assert message == (
        f"task 't' on 127.0.0.1:{sshd.port}: authentication as {sshd.username!r} "
        f"with a private key failed on 127.0.0.1:{sshd.port}"
    )
    assert not caught.value.retryable


def test_a_refused_password_is_never_shown(sshd: SshServer, tmp_path: Path) -> None:
    definition = _base(sshd, authMethod="PASSWORD", password="pa55-w0rd", commands=["true"])
    with pytest.raises(SshError) as caught:
        run_task(definition, tmp_path)
    assert "authentication as" in str(caught.value)
    assert "pa55-w0rd" not in str(caught.value)


def test_an_encrypted_key_needs_its_passphrase(sshd: SshServer, tmp_path: Path) -> None:
    locked = sshd.locked_key
    with pytest.raises(SshError, match="set privateKeyPassphrase"):
        run_task(_base(sshd, privateKey=locked, commands=["true"]), tmp_path)
    outputs = run_task(
        _base(sshd, privateKey=locked, privateKeyPassphrase="open sesame", commands=["true"]),
        tmp_path,
    )
    assert outputs["exitCode"] == 0


def test_a_closed_port_fails_clearly(sshd: SshServer, tmp_path: Path) -> None:
    port = free_port()
    definition = {**_base(sshd, commands=["true"]), "port": port}
    with pytest.raises(SshError) as caught:
        run_task(definition, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"task 't' on 127.0.0.1:{port}: cannot connect to 127.0.0.1:{port}")
    assert caught.value.retryable


def test_a_kill_ends_the_task_while_the_commands_run(sshd: SshServer, tmp_path: Path) -> None:
    logs = Logs()
    # It writes on, so the closed session stops it too (see the README on kills).
    task = task_of(
        _base(sshd, commands=["echo started", "while true; do echo kestrel-tick; sleep 0.2; done"])
    )
    ctx = context_of(task, tmp_path, logs)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            task.run(ctx)
        except BaseException as exc:
            failures.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    deadline = time.monotonic() + START_TIMEOUT
    while "started" not in logs.text() and time.monotonic() < deadline:
        runner.join(0.05)
    assert "started" in logs.text()
    ctx.cancelled.set()
    runner.join(10)
    assert not runner.is_alive()
    assert [type(each).__name__ for each in failures] == ["TaskFailedError"]
    assert getattr(failures[0], "error_type", None) == "Killed"
