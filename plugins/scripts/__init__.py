"""Script tasks: shell `Commands` and `Script`, and Kestra's deprecated `Bash`.

They run as local processes in their own process group, in a fresh working directory, and
read Kestra's ``::{"outputs":{...}}::`` lines for outputs.
"""

from plugins.scripts.bash import Bash
from plugins.scripts.errors import CommandFailedError
from plugins.scripts.shell import Commands, Script, ShellTask
from plugins.scripts.task import ProcessTask

__all__ = ["Bash", "CommandFailedError", "Commands", "ProcessTask", "Script", "ShellTask"]
