"""Boosted sign-in, CSRF and the Content-Security-Policy in headless Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import PASSWORD, web_app
from tests.services import require_chromium
from tests.test_browser_call_queue import CHROMIUM_ARGS, LiveServer, case_url, free_port, seed_world, wait_until_started

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(database_url: str, engine: AsyncEngine) -> Iterator[LiveServer]:
    world = seed_world(database_url)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web_app(database_url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until_started(server)
    yield LiveServer(f"http://127.0.0.1:{port}", world)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


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
