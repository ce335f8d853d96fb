"""An execution with 2,000 task runs renders its Gantt in real Chromium without freezing the
page: the built UI, the execution answered by Playwright (a synthetic ended execution,
so no 2,000-task flow has to run first), the rest by the server. Prints the time to the
first rows and the longest main-thread task; asserts behaviour only (virtualised rows,
the last task reachable by scrolling)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from e2e.ui_helpers import NAMESPACE

RUNS = 2000


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def big_execution(execution_id: str) -> dict[str, Any]:
    """An ended execution of ``RUNS`` task runs, a second each, in the API's JSON shape."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    runs = []
    for n in range(RUNS):
        began, ended = start + timedelta(seconds=n), start + timedelta(seconds=n + 1)
        state = {"current": "SUCCESS", "startDate": _iso(began), "endDate": _iso(ended)}
        state["histories"] = [
            {"state": "RUNNING", "date": _iso(began)},
            {"state": "SUCCESS", "date": _iso(ended)},
        ]
        runs.append(
            {
                "id": f"{execution_id}-{n}",
                "executionId": execution_id,
                "namespace": NAMESPACE,
                "flowId": "big",
                "taskId": f"task-{n:04d}",
                "attempts": [{"state": state}],
                "state": state,
            }
        )
    end = start + timedelta(seconds=RUNS)
    return {
        "id": execution_id,
        "namespace": NAMESPACE,
        "flowId": "big",
        "flowRevision": 1,
        "seq": 3,
        "state": {
            "current": "SUCCESS",
            "startDate": _iso(start),
            "endDate": _iso(end),
            "duration": f"PT{RUNS}S",
            "histories": [
                {"state": "CREATED", "date": _iso(start)},
                {"state": "RUNNING", "date": _iso(start)},
                {"state": "SUCCESS", "date": _iso(end)},
            ],
        },
        "taskRunList": runs,
        "labels": [],
        "inputs": {},
        "outputs": {},
    }


def test_a_gantt_of_2000_task_runs_renders_virtualised_and_scrolls(logged_in: Any) -> None:
    page = logged_in
    execution_id = "gantt-2000"
    body = json.dumps(big_execution(execution_id))
    page.route(
        f"**/api/v1/main/executions/{execution_id}",
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )
    # Long main-thread tasks from the document's start (the page below is a fresh load).
    page.add_init_script(
        """
        window.__longest = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) {
            window.__longest = Math.max(window.__longest, entry.duration);
          }
        }).observe({ type: 'longtask', buffered: true });
        """
    )
    page.goto(f"/ui/executions/{execution_id}")
    page.locator(".gantt-row[data-task-id='task-0000']").wait_for()
    first_rows = page.evaluate("performance.now()")  # since the navigation started
    rows = page.locator(".gantt-row").count()
    assert 0 < rows < 200, f"{rows} rows in the DOM: the Gantt is not virtualised"
    assert page.get_by_text(f"{RUNS} task run(s)").count() >= 1

    # Scroll to the end: the last task's row is drawn, the page answers meanwhile.
    scrolled = page.evaluate("performance.now()")
    page.evaluate(
        """() => {
        const rows = document.querySelector('.gantt-row').parentElement;
        let box = rows;
        while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
        (box || document.scrollingElement).scrollTop = 1e9;
      }"""
    )
    page.locator(f".gantt-row[data-task-id='task-{RUNS - 1:04d}']").wait_for()
    to_last = page.evaluate("performance.now()") - scrolled
    longest = page.evaluate("window.__longest")
    print(
        f"\nGantt of {RUNS} task runs in Chromium: first rows {first_rows:.0f} ms after "
        f"navigation (app start included), "
        f"{rows} rows in the DOM, last row after scrolling {to_last:.0f} ms, "
        f"longest main-thread task {longest:.0f} ms"
    )
