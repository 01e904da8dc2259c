"""Recording an instalment plan from the workspace with the keyboard, in headless Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from hub.cases.priority import client_today
from tests.browser import LiveServer
from tests.test_browser_call_queue import case_url, signed_in_page

pytestmark = pytest.mark.browser
# Chromium's date input keeps focus for one extra Tab (its picker button), so moving on may take two presses.
MAX_TABS = 3


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has focus, failing after MAX_TABS presses."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement === document.querySelector(selector)", selector):
            return
    expect(page.locator(selector)).to_be_focused()


def test_plan_recorded_with_keyboard(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)
    page.goto(case_url(live_server, "D-200"))
    first_due_on = client_today(live_server.world.client) + timedelta(days=5)

    page.focus("#promise-amount")
    page.keyboard.type("300,00")
    tab_to(page, "#promise-first-due-on")
    # Chromium in en-US takes the date as month, day and year digits.
    page.keyboard.type(f"{first_due_on:%m%d%Y}")
    expect(page.locator("#promise-first-due-on")).to_have_value(first_due_on.isoformat())
    tab_to(page, "#promise-instalments")
    page.keyboard.press("Control+a")
    page.keyboard.type("3")
    tab_to(page, "#promise-frequency")
    page.keyboard.type("w")
    tab_to(page, "#promise-amounts")
    page.keyboard.press("Enter")

    panel = page.locator("#promises-panel")
    expect(panel).to_contain_text("€300.00 in 3 weekly instalments")
    rows = panel.locator("table.instalments tbody tr")
    expect(rows).to_have_count(3)
    expected_days = [first_due_on + timedelta(days=7 * index) for index in range(3)]
    for row, day in zip(rows.all(), expected_days, strict=True):
        expect(row).to_contain_text(day.isoformat())
        expect(row).to_contain_text("€100.00")
        expect(row).to_contain_text("Open")
    expect(page.locator("#timeline")).to_contain_text("Promise to pay")
    expect(page.locator("#flash")).to_contain_text("recorded")
    expect(page.locator("#promise-amount")).to_have_value("")
