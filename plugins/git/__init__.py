"""Kestra's ``io.kestra.plugin.git`` tasks on the git command line (installed on workers).

`Clone` a repository into the working directory, `Push` files to a branch, deploy the
flows of a folder with `SyncFlows`, copy namespace files with `SyncNamespaceFiles`.
"""

from plugins.git.clone import Clone
from plugins.git.errors import GitTaskError
from plugins.git.push import Push
from plugins.git.sync import SyncFlows, SyncNamespaceFiles

__all__ = ["Clone", "GitTaskError", "Push", "SyncFlows", "SyncNamespaceFiles"]
