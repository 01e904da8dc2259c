"""Boosted sign-in, CSRF and the Content-Security-Policy in headless Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.browser import LiveServer
from tests.factories import PASSWORD
from tests.test_browser_call_queue import case_url

pytestmark = pytest.mark.browser


def watch_csp(page: Page) -> list[str]:
    """Collect the console errors in which Chromium reports Content-Security-Policy violations."""
    violations: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", collect)
    return violations


def boosted_sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.base_url}/login")
    page.evaluate("window.hubMarker = 'no reload'")
    page.fill("#email", "agent@acme.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Call queue")


def test_boosted_sign_in_keeps_the_page(live_server: LiveServer, browser: Browser) -> None:
    page = browser.new_page()

    boosted_sign_in(page, live_server)

    assert page.url == f"{live_server.base_url}/queues/call"
    assert page.evaluate("window.hubMarker") == "no reload"


def test_outcome_after_boosted_sign_in(live_server: LiveServer, browser: Browser) -> None:
    page = browser.new_page()
    boosted_sign_in(page, live_server)

    page.click(".queue-table a:has-text('D-100')")
    page.wait_for_url(case_url(live_server, "D-100"))
    page.select_option("#outcome", "no_answer")
    page.fill("#note", "Logged right after signing in")
    page.click("#outcome-form button[type=submit]")

    expect(page.locator("#flash")).to_contain_text("Outcome logged: No answer.")
    expect(page.locator("#timeline")).to_contain_text("Logged right after signing in")
    assert page.evaluate("window.hubMarker") == "no reload"


def test_pages_raise_no_csp_violation(live_server: LiveServer, browser: Browser) -> None:
    page = browser.new_page()
    violations = watch_csp(page)

    boosted_sign_in(page, live_server)
    page.goto(f"{live_server.base_url}/queues/call")
    page.select_option("#filter-segment", "high")
    expect(page.locator(".queue-table .ref")).to_have_count(1)
    page.goto(case_url(live_server, "D-100"))
    page.select_option("#outcome", "no_answer")
    page.click("#outcome-form button[type=submit]")
    expect(page.locator("#flash")).to_contain_text("Outcome logged")
    page.goto(f"{live_server.base_url}/account/password")

    assert violations == []


def test_csp_watch_sees_inline_style(live_server: LiveServer, browser: Browser) -> None:
    page = browser.new_page()
    violations = watch_csp(page)
    page.goto(f"{live_server.base_url}/login")

    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')")
    page.wait_for_timeout(200)

    assert len(violations) == 1


def test_sign_out_is_boosted_post(live_server: LiveServer, browser: Browser) -> None:
    page = browser.new_page()
    boosted_sign_in(page, live_server)

    page.click("form[action='/logout'] button")

    expect(page.locator("h1")).to_have_text("Sign in")
    page.goto(f"{live_server.base_url}/queues/call")
    expect(page.locator("h1")).to_have_text("Sign in")
