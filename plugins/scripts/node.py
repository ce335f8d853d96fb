"""Node.js script tasks: ``io.kestra.plugin.scripts.node.Script`` and ``.Commands``.

Kestra's ``@kestra-io/libs`` helper is resolvable (``require('@kestra-io/libs')``):
``Kestra.outputs({...})`` prints the ``::{json}::`` lines the task reads back. Packages
installed by ``beforeCommands`` (``npm install x``) land in the working directory.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from plugins.scripts.shell import ShellTask
from plugins.scripts.staging import stage_uris
from plugins.scripts.task import internal_file

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

NODE_LIB = Path(__file__).resolve().parent / "lib" / "node" / "node_modules"
"""The folder holding ``@kestra-io/libs``, put on the scripts' NODE_PATH."""

_ESM = re.compile(r"^\s*(import\s.+\sfrom\s|import\s+['\"]|export\s)", re.MULTILINE)


class NodeTask(ShellTask):
    """Properties common to the Node tasks."""

    default_image: ClassVar[str] = "node"

    def _environment(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> dict[str, str]:
        env = super()._environment(ctx, working_dir, extra)
        paths = [str(working_dir / "node_modules"), str(NODE_LIB)]
        env["NODE_PATH"] = ":".join([*paths, *filter(None, [env.get("NODE_PATH")])])
        return env


class Script(NodeTask):
    """Run a Node.js script, written to a file of the working directory.

    Example:
        ```yaml
        - id: node
          type: io.kestra.plugin.scripts.node.Script
          script: |
            const Kestra = require('@kestra-io/libs');
            Kestra.outputs({answer: 42});
        ```
    """

    type_name: ClassVar[str] = "kestrel.plugins.scripts.node.Script"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.node.Script",)

    script: str
    """The JavaScript code (rendered); ES module syntax is detected and run as ``.mjs``."""

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        text = stage_uris(ctx, working_dir, ctx.render_text(self.script, "script", extra))
        if not _ESM.search(text):
            script = internal_file(working_dir, ".js", text)
            return f"node {script.name}", [script]
        script = internal_file(working_dir, ".mjs", text)
        # ES modules ignore NODE_PATH: the helper must sit in the folder's node_modules.
        helper = shlex.quote(str(NODE_LIB / "@kestra-io" / "libs"))
        scope = "node_modules/@kestra-io"
        link = f"[ -e {scope}/libs ] || {{ mkdir -p {scope} && ln -s {helper} {scope}/libs; }}"
        return f"{link}\nnode {script.name}", [script]


class Commands(NodeTask):
    """Run shell commands for Node.js (``node``, ``npm``)."""

    type_name: ClassVar[str] = "kestrel.plugins.scripts.node.Commands"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.node.Commands",)

    commands: list[str] = Field(min_length=1)
    """The commands (each rendered)."""

    def _main_commands(
        self, ctx: RunContext, working_dir: Path, extra: dict[str, Any]
    ) -> tuple[str, list[Path]]:
        rendered = ctx.render(self.commands, "commands", extra)
        return "\n".join(str(line) for line in rendered), []


__all__ = ["NODE_LIB", "Commands", "NodeTask", "Script"]
