"""Logging in, the shell (dark mode) and filters kept in the URL."""

from __future__ import annotations

from typing import Any

from e2e.ui_helpers import NAMESPACE, USER, log_in


def test_login_refuses_a_wrong_password_then_lets_the_user_in(page: Any) -> None:
    log_in(page, password="wrong-password", then="/ui/flows?q=greet")
    banner = page.locator("[data-test=error]")
    banner.wait_for()
    assert "wrong username or password" in banner.inner_text()
    page.fill("#password", "e2e-Pa55word")
    page.click("button[type=submit]")
    page.wait_for_url("**/ui/flows?q=greet")
    page.locator("[data-test=flows-table] >> text=greet").first.wait_for()
    assert USER in page.locator("nav").inner_text()


def test_dark_mode_and_url_filters_survive_a_reload(logged_in: Any) -> None:
    page = logged_in
    page.click("[data-test=theme-toggle]")
    theme = page.evaluate("document.documentElement.dataset.theme")
    page.goto(f"/ui/executions?namespace={NAMESPACE}&state=FAILED")
    page.locator("[data-test=executions-table]").wait_for()
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    assert page.input_value("input[placeholder=Namespace]") == NAMESPACE
    chosen = page.eval_on_selector(
        "select[aria-label=States]", "s => [...s.selectedOptions].map(o => o.value)"
    )
    assert chosen == ["FAILED"]
    # The list reads the last 7 days unless the URL names another range.
    assert page.input_value("select[aria-label='Time range']") == "7d"
    page.goto(f"/ui/executions?namespace={NAMESPACE}&range=all")
    page.locator("[data-test=executions-table]").wait_for()
    assert page.input_value("select[aria-label='Time range']") == "all"
