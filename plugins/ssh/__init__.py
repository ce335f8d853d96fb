"""Kestra's ``io.kestra.plugin.fs.ssh`` tasks on paramiko (``[ssh]`` extra).

`Command` runs shell commands on a remote host over SSH, logging their output as the
script tasks do.
"""

from plugins.ssh.command import AuthMethod, Command
from plugins.ssh.errors import SshCommandFailedError, SshError

__all__ = ["AuthMethod", "Command", "SshCommandFailedError", "SshError"]
