"""Write a flow in the editor (a typo shows at its line), save it, run it from the generated
form, and watch its Gantt and logs grow live until SUCCESS."""

from __future__ import annotations

from typing import Any

from e2e.ui_helpers import NAMESPACE, SCREENSHOTS, wait_for_state

FLOW = """id: typed-in-browser
namespace: {namespace}
inputs:
  - id: user
    type: STRING
  - id: mood
    type: SELECT
    values: [calm, cheerful]
    defaults: calm
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.{log}
    message: "Hello {{{{ inputs.user }}}}, you look {{{{ inputs.mood }}}}"
  - id: breathe
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT3S
  - id: bye
    type: io.kestra.plugin.core.log.Log
    message: "Bye {{{{ inputs.user }}}}"
  - id: breathe-again
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT3S
  - id: result
    type: io.kestra.plugin.core.debug.Return
    format: "done"
"""
TYPO_LINE = 12


def replace_editor_text(page: Any, text: str) -> None:
    """Select everything in Monaco and paste ``text`` over it, as a user pasting a flow."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("(text) => navigator.clipboard.writeText(text)", text)
    page.click("[data-test=yaml-editor] .view-lines")
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+V")


def log_count(area: Any) -> int:
    """The number of log lines the viewer in ``area`` shows ("12 line(s)")."""
    return int(area.locator("[data-test=log-count]").inner_text().split()[0])


def test_write_fix_save_run_and_watch_live(logged_in: Any) -> None:
    page = logged_in
    schema_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            schema_requests.append(request.url) if "/api/v1/main/plugins" in request.url else None
        ),
    )
    page.goto("/ui/flows/new")
    page.locator("[data-test=yaml-editor] .view-lines").wait_for()
    replace_editor_text(page, FLOW.format(namespace=NAMESPACE, log="Logg"))

    problem = page.locator(f"[data-test=problems] li[data-line='{TYPO_LINE}']")
    problem.wait_for()
    assert "Logg" in problem.inner_text()
    page.locator("[data-test=yaml-editor] .squiggly-error").first.wait_for()

    replace_editor_text(page, FLOW.format(namespace=NAMESPACE, log="Log"))
    page.locator("[data-test=valid]").wait_for()
    page.click("[data-test=save]")
    page.wait_for_url(f"**/ui/flows/{NAMESPACE}/typed-in-browser/editor")

    page.click("[data-test=run-button]")
    dialog = page.locator("[data-test=run-dialog]")
    dialog.locator("input[name=user]").fill("Ada")
    dialog.locator("select[name=mood]").select_option("cheerful")
    dialog.locator("[data-test=run-submit]").click()
    page.wait_for_url("**/ui/executions/**")

    # The Gantt, the topology and the logs are side by side on the execution's first tab.
    rows = page.locator("[data-test=gantt] .gantt-row")
    rows.first.wait_for()
    seen_rows = [rows.count()]
    seen_running = page.locator("[data-test=execution-state]").get_attribute("data-state")
    live = page.locator("[data-test=live-pair]")
    live.locator(".log-line >> text=Hello Ada, you look cheerful").wait_for()
    state_at_first_line = page.locator("[data-test=execution-state]").get_attribute("data-state")
    wait_for_state(page, "SUCCESS")
    live.locator("[data-test=topology] [data-task-id='hello']").wait_for()
    seen_rows.append(rows.count())
    live.locator(".log-line >> text=Bye Ada").wait_for()
    # The README's picture of the execution page (Gantt, topology and logs), from this run.
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "execution-page.png"), full_page=True)
    # The editor's completion read every type's schema in one request, not one per type
    # (230 held the browser's connections, and this page's requests waited behind them).
    assert [url.rsplit("/api/v1/main", 1)[1] for url in schema_requests] == [
        "/plugins/schemas/all"
    ], schema_requests
    assert seen_running in {"CREATED", "RUNNING"}, seen_running
    assert seen_rows[0] < seen_rows[-1] == 5, seen_rows  # rows appeared while we watched
    assert state_at_first_line != "SUCCESS"  # and log lines came while it ran
    assert log_count(live) == 2

    page.click(".tabs >> text=Logs")
    page.locator(".log-line >> text=Hello Ada, you look cheerful").wait_for()
    page.locator(".log-line >> text=Bye Ada").wait_for()
    page.select_option("[data-test=log-task]", "bye")
    page.locator(".log-line >> text=Hello Ada").wait_for(state="detached")
