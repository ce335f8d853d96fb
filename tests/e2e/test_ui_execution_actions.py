"""Kill a long-running execution, restart a failed one, resume a paused one, from the
execution page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2e.ui_helpers import NAMESPACE, Server, wait_for_state


def test_kill_a_long_running_execution(logged_in: Any, server: Server) -> None:
    page = logged_in
    execution = server.run("sleepy")
    page.goto(f"/ui/executions/{execution['id']}")
    page.locator(".gantt-row[data-task-id=nap]").wait_for()
    page.click("[data-test=kill]")
    wait_for_state(page, "KILLED")
    assert page.locator("[data-test=kill]").count() == 0


def test_restart_a_failed_execution(logged_in: Any, server: Server, tmp_path: Path) -> None:
    page = logged_in
    execution = server.run("flaky", {"marker": str(tmp_path / "marker")}, wait=True)
    assert execution["state"]["current"] == "FAILED", execution
    page.goto(f"/ui/executions/{execution['id']}")
    wait_for_state(page, "FAILED")
    page.click("[data-test=restart]")
    wait_for_state(page, "SUCCESS")
    check = page.locator(".gantt-row[data-task-id=check]")
    assert check.locator(".gantt-bar").count() == 2  # the failed attempt and the one after restart
    assert check.locator(".gantt-bar[data-attempt='2']").count() == 1


def test_resume_a_paused_execution_with_its_inputs(logged_in: Any, server: Server) -> None:
    page = logged_in
    execution = server.run("approval")
    page.goto(f"/ui/executions/{execution['id']}")
    wait_for_state(page, "PAUSED")
    page.click("[data-test=resume]")
    dialog = page.locator("[data-test=resume-dialog]")
    dialog.locator("input[name=approver]").fill("Grace")
    dialog.locator("button[type=submit]").click()
    wait_for_state(page, "SUCCESS")
    page.click(".tabs >> text=Outputs")
    page.locator("[data-test=outputs] >> text=approved by Grace").wait_for()


def test_bulk_kill_from_the_list_updates_live(logged_in: Any, server: Server) -> None:
    page = logged_in
    ids = [server.run("sleepy")["id"] for _ in range(2)]
    server.wait_indexed("sleepy", 2, states=("RUNNING",))
    page.goto(f"/ui/executions?namespace={NAMESPACE}&flowId=sleepy&state=RUNNING")
    for execution_id in ids:
        page.locator(f"tr[data-execution='{execution_id}'] input[type=checkbox]").check()
    page.click("[data-test=bulk-kill]")
    # No reload: the rows change state over the executions' follow streams.
    for execution_id in ids:
        page.locator(f"tr[data-execution='{execution_id}'] [data-state=KILLED]").wait_for()


def test_preview_an_output_file(logged_in: Any, server: Server) -> None:
    page = logged_in
    execution = server.run("report", wait=True)
    assert execution["state"]["current"] == "SUCCESS", execution
    page.goto(f"/ui/executions/{execution['id']}/outputs")
    page.locator("[data-test=outputs] [data-test=preview]").first.click()
    page.locator("[data-test=file-preview] >> text=Lyon").wait_for()


def test_the_list_shows_a_new_execution_and_its_state_changes_without_reload(
    logged_in: Any, server: Server
) -> None:
    page = logged_in
    page.goto(f"/ui/executions?namespace={NAMESPACE}&flowId=greet")
    page.locator("[data-test=list-live][data-live=true]").wait_for()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloaded
    execution = server.run("greet", {"user": "Live"})
    row = page.locator(f"tr[data-execution='{execution['id']}']")
    row.wait_for()  # came over the list's stream, not from a search
    assert row.locator("[data-state=SUCCESS]").count() == 0  # greet takes two seconds
    row.locator("[data-state=SUCCESS]").wait_for()
    assert page.locator("tbody tr").first.get_attribute("data-execution") == execution["id"]
    assert page.evaluate("window.__sameDocument === true")


def test_the_dashboard_counts_a_new_running_execution_without_reload(
    logged_in: Any, server: Server
) -> None:
    page = logged_in
    page.goto(f"/ui/dashboard?namespace={NAMESPACE}")
    page.locator("[data-test=dashboard-live][data-live=true]").wait_for()
    running = page.locator("[data-test=kpi-running] b")
    page.wait_for_function(
        "document.querySelector('[data-test=kpi-running] b').textContent.trim() !== '—'"
    )
    before = int(running.inner_text())
    page.evaluate("window.__sameDocument = true")
    execution = server.run("sleepy")
    try:
        # The stream's event asks for the figures again (throttled) once the indexer has them.
        page.wait_for_function(
            f"document.querySelector('[data-test=kpi-running] b').textContent.trim() === "
            f"'{before + 1}'"
        )
        assert page.evaluate("window.__sameDocument === true")
    finally:
        server.api("DELETE", f"/executions/{execution['id']}/kill")
