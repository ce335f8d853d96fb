"""Browser end-to-end tests: the built UI in Debian's Chromium, driven by Playwright for
Python, against ``kestrel server standalone`` on the session's backends.

Set-up, once per session: the UI is built if missing or stale (``make ui``), Debian's
``chromium`` is installed with apt-get when ``/usr/bin/chromium`` is missing (no browser is
ever downloaded by Playwright), and one server runs with basic-auth credentials and the
flows of ``tests/e2e/flows`` deployed. Each test saves a screenshot of its last page under
``tests/e2e/screenshots/`` (a CI artefact, git-ignored).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import KestrelProcess, service_env

from e2e.ui_helpers import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    FLOWS,
    NAMESPACE,
    PASSWORD,
    REPO,
    SCREENSHOTS,
    TIMEOUT_MS,
    USER,
    Server,
    log_in,
    unavailable,
)
from orchestrator.backends import Backends
from orchestrator.settings import load_settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def built_ui() -> Path:
    """The UI built into the package (``make ui`` rebuilds only when ``ui/`` changed)."""
    pytest.importorskip("orchestrator.webserver.app", reason="the REST API is not in this tree")
    from orchestrator.webserver.ui_static import ui_built, ui_dir

    if shutil.which("npm") is None or shutil.which("make") is None:
        unavailable("node/npm and make are needed to build the UI")
    result = subprocess.run(
        ["make", "-s", "ui"], cwd=REPO, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, (
        f"make ui failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    )
    assert ui_built(), f"no index.html in {ui_dir()} after make ui"
    return ui_dir()


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed with apt-get when missing."""
    if not CHROMIUM.exists():
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            unavailable(f"{CHROMIUM} is missing and apt-get cannot install it here (needs root)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "chromium"],
        ):
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
            assert done.returncode == 0, f"{' '.join(command)}:\n{done.stderr[-3000:]}"
    assert CHROMIUM.exists()
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    """One headless Chromium per test module (each test gets its own context).

    Playwright's sync API runs an event loop in this thread while it is started: it must
    be stopped before any asyncio test runs, so it lives no longer than a module.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package")
def server(
    backends: Backends, built_ui: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """``kestrel server standalone`` with a user, serving the UI, the test flows deployed.

    Package-scoped: it stops once the browser tests are done, instead of costing CPU
    through the rest of the suite.
    """
    from orchestrator.kafka import ensure_topics
    from orchestrator.webserver.auth import hash_secret

    work = tmp_path_factory.mktemp("e2e")
    settings = load_settings(
        kafka={
            "bootstrap": backends.kafka_bootstrap,
            "topic_prefix": f"e2e.{uuid.uuid4().hex[:8]}.",
            "partitions": 4,
        },
        elasticsearch={
            "url": backends.elasticsearch_url,
            "index_prefix": f"e2e-{uuid.uuid4().hex[:8]}-",
        },
        storage={"base_dir": work / "storage"},
        data_dir=work / "data",
    )
    ensure_topics(settings)
    port = _free_port()
    env = service_env(settings)
    env["KESTREL_KAFKA__INSTANCE_ID"] = f"e2e-{port}"
    env["KESTREL_WEBSERVER__PORT"] = str(port)
    env["KESTREL_WEBSERVER__AUTH__USERS"] = json.dumps(
        [{"username": USER, "password_hash": hash_secret(PASSWORD)}]
    )
    process = KestrelProcess(["server", "standalone"], env, work / "server.log").start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while f"The API listens on {url}" not in process.output():
            assert process.process is not None and process.process.poll() is None, process.output()[
                -3000:
            ]
            assert time.monotonic() < deadline, process.output()[-3000:]
            time.sleep(0.2)  # reading the server's log for its URL, bounded by the deadline
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        running = Server(url, f"Basic {token}")
        for source in sorted(FLOWS.glob("*.yaml")):
            running.api("POST", "/flows", source.read_text(), "application/x-yaml")
        # Lists and searches read Elasticsearch: start once the indexer has the flows.
        expected = len(list(FLOWS.glob("*.yaml")))
        listing = f"/flows/search?namespace={NAMESPACE}&size=100"
        while running.api("GET", listing)["total"] < expected:
            assert time.monotonic() < deadline + 60, "the deployed flows were never indexed"
            time.sleep(0.2)  # waiting on the index, bounded by the deadline
        yield running
    finally:
        assert process.terminate() == 0, process.output()[-3000:]


@pytest.fixture
def page(server: Server, browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context on the server; its last page is saved as a screenshot."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield tab
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def logged_in(page: Any) -> Any:
    """``page``, logged in and on the dashboard."""
    log_in(page)
    page.wait_for_url("**/ui/dashboard")
    return page
