"""Running the git command line for a task: credentials, masking and clear failures.

An HTTP(S) user name and password travel in the URL given to git (never in a log or an
error: both are masked); a private key is written to a file readable by the owner only
and given to ssh through ``GIT_SSH_COMMAND``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from orchestrator.masking import masked_url
from plugins.git.errors import GitTaskError

GIT_TIMEOUT = 600.0
"""Seconds a git command may take (a clone of a large repository)."""


class Git:
    """The git command line for one task run, on one remote repository."""

    def __init__(
        self,
        where: str,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        private_key: str | None = None,
        key_folder: Path | None = None,
    ) -> None:
        """Prepare the remote URL and the environment (nothing runs yet).

        Raises:
            GitTaskError: git is not installed.
        """
        if shutil.which("git") is None:
            raise GitTaskError(f"{where}: the git command is not installed on this worker")
        self.where = where
        self.shown_url = masked_url(url)
        self.secrets = {value for value in (password, urlsplit(url).password) if value}
        self.url = self._with_credentials(url, username, password)
        self.env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": os.environ.get("GIT_AUTHOR_NAME", "Kestrel"),
            "GIT_AUTHOR_EMAIL": os.environ.get("GIT_AUTHOR_EMAIL", "kestrel@localhost"),
        }
        self.env.setdefault("GIT_COMMITTER_NAME", self.env["GIT_AUTHOR_NAME"])
        self.env.setdefault("GIT_COMMITTER_EMAIL", self.env["GIT_AUTHOR_EMAIL"])
        if private_key and key_folder is not None:
            key = key_folder / ".kestrel-git-key"
            key.write_text(private_key.strip() + "\n")
            key.chmod(0o600)
            self.env["GIT_SSH_COMMAND"] = (
                f"ssh -i {shlex.quote(str(key))} -o IdentitiesOnly=yes "
                "-o StrictHostKeyChecking=accept-new"
            )

    def _with_credentials(self, url: str, username: str | None, password: str | None) -> str:
        parts = urlsplit(url)
        if not password or parts.scheme not in ("http", "https"):
            return url
        user = quote(username or "git", safe="")
        host = parts.hostname or ""
        netloc = f"{user}:{quote(password, safe='')}@{host}" + (
            f":{parts.port}" if parts.port else ""
        )
        return urlunsplit(parts._replace(netloc=netloc))

    def mask(self, text: str) -> str:
        """``text`` with the credentials replaced."""
        text = text.replace(self.url, self.shown_url)
        for secret in self.secrets:
            text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
        return text

    def run(self, *args: str, cwd: Path | None = None, doing: str) -> str:
        """Run ``git ARGS``; return its standard output.

        Raises:
            GitTaskError: git failed (naming ``doing``, the repository and git's reason).
        """
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GitTaskError(
                f"{self.where}: {doing} {self.shown_url} took more than {GIT_TIMEOUT:.0f} s",
                retryable=True,
            ) from exc
        if done.returncode != 0:
            reason = (
                " ".join(line.strip() for line in done.stderr.splitlines() if line.strip())
                or f"exit code {done.returncode}"
            )
            raise GitTaskError(
                f"{self.where}: {doing} {self.shown_url} failed: {self.mask(reason)}"
            )
        return done.stdout

    def clone(self, target: Path, branch: str | None, depth: int | None, submodules: bool) -> None:
        """Clone the remote into ``target`` (which must not exist or be empty)."""
        args = ["clone", "--quiet"]
        if branch:
            args += ["--branch", branch]
        if depth:
            args += ["--depth", str(depth)]
            if self.url.startswith("file://") or "://" not in self.url:
                args.append("--no-local")
        if submodules:
            args.append("--recurse-submodules")
        self.run(*args, "--", self.url, str(target), doing="cloning")


__all__ = ["GIT_TIMEOUT", "Git", "masked_url"]
