"""What the browser tests share: where things are, the server's handle, logging in."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FLOWS = Path(__file__).resolve().parent / "flows"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
USER, PASSWORD = "e2e@kestrel.io", "e2e-Pa55word"
NAMESPACE = "kestrel.e2e"
TIMEOUT_MS = 60_000
"""Longest a step waits for the page (an execution runs on a 2-core CI machine)."""


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (under ``CI=true``) when the set-up cannot be made here."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"e2e set-up unavailable under CI: {reason}")
    pytest.skip(f"e2e set-up unavailable: {reason}")


@dataclass(frozen=True)
class Server:
    """The running server: its URL and the credentials of its user."""

    url: str
    authorization: str

    def api(self, method: str, path: str, body: Any = None, content_type: str = "") -> Any:
        """Call ``/api/v1/main{path}`` (a dict body goes as JSON); the JSON answer or None."""
        data = body.encode() if isinstance(body, str) else None
        headers = {"Authorization": self.authorization}
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(
            f"{self.url}/api/v1/main{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise AssertionError(
                f"{method} {path}: {error.code} {error.read().decode()}"
            ) from error
        return json.loads(text) if text else None

    def wait_indexed(
        self, flow_id: str, count: int, states: tuple[str, ...] = (), timeout: float = 60
    ) -> None:
        """Wait until the execution search (Elasticsearch) holds ``count`` of ``flow_id``
        (in one of ``states``, when given)."""
        deadline = time.monotonic() + timeout
        query = f"/executions/search?namespace={NAMESPACE}&flowId={flow_id}&size=1"
        query += "".join(f"&state={state}" for state in states)
        while self.api("GET", query)["total"] < count:
            assert time.monotonic() < deadline, f"{count} executions of {flow_id} never indexed"
            time.sleep(0.2)  # waiting on the indexer, bounded by the deadline

    def run(self, flow_id: str, inputs: dict[str, Any] | None = None, wait: bool = False) -> Any:
        """Start an execution of a test flow (``wait``: answer when it has ended)."""
        query = "?wait=true" if wait else ""
        return self.api("POST", f"/executions/{NAMESPACE}/{flow_id}{query}", inputs or {})


def log_in(page: Any, user: str = USER, password: str = PASSWORD, then: str = "/ui/") -> None:
    """Open ``then``, which sends an anonymous visitor to the login page, and log in."""
    page.goto(then)
    page.wait_for_url("**/ui/login**")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")


def wait_for_state(page: Any, state: str) -> None:
    """Wait until the execution page's state badge shows ``state``."""
    page.locator(f"[data-test=execution-state][data-state={state}]").wait_for()
