"""An agent records a dispute from the workspace in headless Chromium and finds it in the dispute queue."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import LiveServer
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def signed_in_page(browser: Browser, server: LiveServer) -> Page:
    page = browser.new_page()
    page.goto(f"{server.base_url}/queues/call")
    page.fill("#email", "agent@acme.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.base_url}/queues/call")
    expect(page.locator(".queue-table")).to_be_visible()
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    return page


def test_dispute_from_workspace_reaches_queue(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)
    page.goto(f"{live_server.base_url}/cases/{live_server.world.cases['D-100'].id}")
    balance = page.locator("#case-balance")
    expect(balance).to_contain_text("collectible €1,080.00")
    page.evaluate("window.hubMarker = 'still here'")

    page.keyboard.press("d")
    expect(page.locator("#dispute-reason")).to_be_focused()
    page.select_option("#dispute-reason", "not_received")
    page.locator("#dispute-form").get_by_label("A-1").check()
    page.select_option("#dispute-channel", "email")
    page.fill("#dispute-note", "Goods never arrived")
    page.click("#dispute-form button[type=submit]")

    # A-1 (1,000.00) leaves the collectible balance; A-3 (80.00) stays.
    expect(balance).to_contain_text("collectible €80.00")
    expect(balance).to_contain_text("disputed €1,250.00")
    expect(page.locator("#invoices tr.is-disputed")).to_have_count(2)
    expect(page.locator("#timeline")).to_contain_text("Goods never arrived")
    expect(page.locator("#flash")).to_contain_text("recorded on invoice A-1")
    assert page.evaluate("window.hubMarker") == "still here"

    page.click("nav.topnav >> text=Dispute queue")
    page.wait_for_url(f"{live_server.base_url}/queues/dispute")
    row = page.locator(".dispute-queue-table tbody tr", has_text="A-1")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Not received")
    expect(row).to_contain_text("Alex Agent")
    expect(row).to_contain_text("€1,000.00")
    expect(row.locator(".badge.sla-within, .badge.sla-at_risk")).to_have_count(1)
