"""The admin screens in headless Chromium against a real uvicorn server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import LiveServer
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

GENERATED_PASSWORD_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16}$")


def admin_page(browser: Browser, server: LiveServer, path: str) -> Page:
    page = browser.new_page()
    page.goto(f"{server.base_url}{path}")
    page.fill("#email", "admin@hub.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.base_url}{path}")
    # A full load after the boosted sign-in, so htmx has processed the page before the test acts on it.
    page.goto(f"{server.base_url}{path}")
    return page


def test_new_user_shows_password_once(live_server: LiveServer, browser: Browser) -> None:
    page = admin_page(browser, live_server, "/admin/users/new")

    page.fill("#email", "nina@acme.test")
    page.fill("#name", "Nina New")
    page.check("input[name=clients][value=acme]")
    page.click("#user-new-form button[type=submit]")

    expect(page.locator("#new-password")).to_have_text(GENERATED_PASSWORD_PATTERN)
    expect(page.locator("#flash")).to_contain_text("User nina@acme.test created.")
    page.reload()
    expect(page.locator("#new-password")).to_have_count(0)


def test_duplicate_email_error_in_place(live_server: LiveServer, browser: Browser) -> None:
    page = admin_page(browser, live_server, "/admin/users/new")
    page.evaluate("window.hubMarker = 'still here'")

    page.fill("#email", "agent@acme.test")
    page.fill("#name", "Second Agent")
    page.click("#user-new-form button[type=submit]")

    expect(page.locator("#email-error")).to_contain_text("user 'agent@acme.test' already exists")
    expect(page.locator("#email")).to_be_focused()
    assert page.input_value("#name") == "Second Agent"
    assert page.evaluate("window.hubMarker") == "still here"


def test_role_filter_keeps_real_url(live_server: LiveServer, browser: Browser) -> None:
    page = admin_page(browser, live_server, "/admin/users")

    page.select_option("#filter-role", "agent")

    expect(page.locator("#users-results tbody tr")).to_have_count(1)
    assert page.url == f"{live_server.base_url}/admin/users?role=agent&client="


def test_weights_error_then_save(live_server: LiveServer, browser: Browser) -> None:
    page = admin_page(browser, live_server, f"/admin/clients/{live_server.world.client.id}")
    page.evaluate("window.hubMarker = 'still here'")

    for name in ("weight_risk", "weight_exposure", "weight_urgency"):
        page.fill(f"#{name}", "0")
    page.click("#client-weights-form button[type=submit]")
    expect(page.locator("#client-weights-form .form-error")).to_contain_text("all three weights are 0")
    page.fill("#weight_urgency", "1")
    page.click("#client-weights-form button[type=submit]")

    expect(page.locator("#flash")).to_contain_text("Settings of acme saved.")
    expect(page.locator("#client-weights-form .shares")).to_contain_text("urgency 100 %")
    assert page.evaluate("window.hubMarker") == "still here"


def test_deactivate_and_reactivate_user(live_server: LiveServer, browser: Browser) -> None:
    page = admin_page(browser, live_server, f"/admin/users/{live_server.world.agent.id}")

    page.click("#user-status button[type=submit]")
    expect(page.locator("#user-status")).to_contain_text("Deactivated")
    page.click("#user-status button[type=submit]")

    expect(page.locator("#user-status")).to_contain_text("Active")
    expect(page.locator("#flash")).to_contain_text("agent@acme.test reactivated.")
