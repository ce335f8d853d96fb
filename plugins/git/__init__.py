"""Kestra's ``io.kestra.plugin.git`` tasks on the git command line (installed on workers).

`Clone` a repository into the working directory, `Push` files to a branch, deploy the
flows of a folder with `SyncFlows`, copy namespace files with `SyncNamespaceFiles`, and
the other way, `PushFlows` and `PushNamespaceFiles`.
"""

from plugins.git.clone import Clone
from plugins.git.errors import GitTaskError
from plugins.git.publish import PushFlows, PushNamespaceFiles
from plugins.git.push import Push
from plugins.git.sync import SyncFlows, SyncNamespaceFiles

__all__ = [
    "Clone",
    "GitTaskError",
    "Push",
    "PushFlows",
    "PushNamespaceFiles",
    "SyncFlows",
    "SyncNamespaceFiles",
]
