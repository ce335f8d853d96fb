"""The SSH Command's validation and how it cuts the remote byte streams into log lines."""

from __future__ import annotations

import pytest
from plugin_context import task_of
from pydantic import ValidationError

from plugins.ssh.command import AuthMethod, Command, _Lines


def test_lines_are_whole_across_chunks_and_the_last_one_comes_on_close() -> None:
    seen: list[str] = []
    lines = _Lines(seen.append)
    for chunk in (b"hel", b"lo\r\nw\xc3", b"\xa9rld\nno newline"):
        lines.feed(chunk)
    assert seen == ["hello", "wérld"]
    lines.close()
    assert seen == ["hello", "wérld", "no newline"]


def test_kestra_properties_validate() -> None:
    task = task_of(
        {
            "type": "io.kestra.plugin.fs.ssh.Command",
            "host": "localhost",
            "port": "2222",
            "authMethod": "PUBLIC_KEY",
            "privateKey": "{{ secret('KEY') }}",
            "commands": ["ls"],
            "env": {"A": "1"},
            "warningOnStdErr": True,
        }
    )
    assert isinstance(task, Command)
    assert task.auth_method is AuthMethod.PUBLIC_KEY
    assert task.port == "2222"


@pytest.mark.parametrize(
    "change", [{"commands": []}, {"authMethod": "KERBEROS"}, {"proxyCommand": "nc %h %p"}]
)
def test_invalid_definitions_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        task_of(
            {"type": "io.kestra.plugin.fs.ssh.Command", "host": "h", "commands": ["ls"], **change}
        )
