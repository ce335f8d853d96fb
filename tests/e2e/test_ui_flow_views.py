"""The run grid of a flow's last executions, its topology, and its triggers' backfill."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from e2e.ui_helpers import NAMESPACE, Server


def test_run_grid_shows_each_task_of_each_execution(
    logged_in: Any, server: Server, tmp_path: Path
) -> None:
    page = logged_in
    (tmp_path / "exists").touch()
    ok = server.run("flaky", {"marker": str(tmp_path / "exists")}, wait=True)
    failed = server.run("flaky", {"marker": str(tmp_path / "missing")}, wait=True)
    assert (ok["state"]["current"], failed["state"]["current"]) == ("SUCCESS", "FAILED")
    server.wait_indexed("flaky", 2)
    page.goto(f"/ui/flows/{NAMESPACE}/flaky/grid")
    grid = page.locator("[data-test=run-grid]")
    grid.locator("tr[data-task=check] .grid-cell[data-state=FAILED]").first.wait_for()
    grid.locator("tr[data-task=first] .grid-cell[data-state=SUCCESS]").first.wait_for()
    assert grid.locator("tr[data-task=done]").count() == 1


def test_topology_draws_the_tasks(logged_in: Any) -> None:
    page = logged_in
    page.goto(f"/ui/flows/{NAMESPACE}/greet/topology")
    for task in ("hello", "pause-1", "greeting"):
        page.locator(f"[data-test=topology] [data-task-id='{task}']").wait_for()


def test_backfill_starts_and_progresses_to_done(logged_in: Any, server: Server) -> None:
    page = logged_in
    page.goto(f"/ui/flows/{NAMESPACE}/nightly/triggers")
    row = page.locator("[data-test=triggers] tr[data-trigger=every-night]")
    row.wait_for()
    # Two nightly slots (02:00 on Jan 1 and Jan 2) in the range.
    row.locator("input[aria-label='Backfill start']").fill("2026-01-01T00:00")
    row.locator("input[aria-label='Backfill end']").fill("2026-01-03T00:00")
    row.locator("[data-test=backfill]").click()
    row.locator("[data-test=backfill-status] >> text=done").wait_for()
    assert row.locator("[data-test=backfill-progress]").get_attribute("value") == "100"
    assert "2 fired" in row.inner_text()
    server.wait_indexed("nightly", 2)


def test_revisions_side_by_side(logged_in: Any, server: Server) -> None:
    page = logged_in
    source = server.api("GET", f"/flows/{NAMESPACE}/nightly?source=true")["source"]
    changed = source.replace("report for", "nightly report for")
    updated = server.api("PUT", f"/flows/{NAMESPACE}/nightly", changed, "application/x-yaml")
    assert updated["revision"] == 2
    deadline = time.monotonic() + 60
    while len(server.api("GET", f"/flows/{NAMESPACE}/nightly/revisions")) < 2:
        assert time.monotonic() < deadline, "revision 2 was never indexed"
        time.sleep(0.2)  # waiting on the indexer, bounded by the deadline
    page.goto(f"/ui/flows/{NAMESPACE}/nightly/revisions")
    diff = page.locator("[data-test=diff-editor]")
    diff.locator(".editor.modified >> text=nightly report for").wait_for()
    diff.locator(".editor.original >> text=report for").wait_for()
    assert "nightly report" not in diff.locator(".editor.original").inner_text()
    assert page.locator("[data-test=rev-left]").input_value() == "1"
    assert page.locator("[data-test=rev-right]").input_value() == "2"


def test_plugins_page_lists_types_and_their_properties(logged_in: Any) -> None:
    page = logged_in
    page.goto("/ui/plugins")
    page.fill("input[placeholder='Filter types']", "core.log.Log")
    page.locator("[data-test=plugin-type] >> text=io.kestra.plugin.core.log.Log").first.click()
    page.wait_for_url("**/ui/plugins/io.kestra.plugin.core.log.Log")
    page.locator("section >> code >> text=message").first.wait_for()


def trigger_disabled(server: Server) -> bool | None:
    """The scheduler's ``disabled`` of nightly's trigger, as the API answers it."""
    found = server.api("GET", f"/triggers/search?namespace={NAMESPACE}&flowId=nightly")
    states = [t for t in found["results"] if t["triggerId"] == "every-night"]
    return bool(states[0].get("disabled", False)) if states else None


def test_disable_then_enable_a_trigger_from_the_triggers_tab(
    logged_in: Any, server: Server
) -> None:
    page = logged_in
    page.goto(f"/ui/flows/{NAMESPACE}/nightly/triggers")
    row = page.locator("[data-test=triggers] tr[data-trigger=every-night]")
    # The scheduler's state has come over the stream (not only the flow's declaration).
    page.locator("[data-test=triggers] tr[data-trigger=every-night][data-known=true]").wait_for()
    assert row.get_attribute("data-disabled") == "false"

    for disabled in (True, False):
        box = row.locator("[data-test=trigger-enabled]")
        box.uncheck() if disabled else box.check()
        # The row changes when the scheduler's new state arrives on the stream: no reload.
        flag = str(disabled).lower()
        page.locator(
            f"[data-test=triggers] tr[data-trigger=every-night][data-disabled={flag}]"
        ).wait_for()
        deadline = time.monotonic() + 60
        while trigger_disabled(server) is not disabled:
            assert time.monotonic() < deadline, f"the API never showed disabled={disabled}"
            time.sleep(0.2)  # waiting on the indexer, bounded by the deadline
