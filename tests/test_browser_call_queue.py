"""The call queue and workspace in headless Chromium against a real uvicorn server."""

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
    # The boosted sign-in changes the URL before htmx has swapped and processed
    # the queue page, so wait until no swap is in flight.
    expect(page.locator(".queue-table")).to_be_visible()
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    return page


def case_url(server: LiveServer, reference: str) -> str:
    return f"{server.base_url}/cases/{server.world.cases[reference].id}"


def test_queue_lists_cases_in_order(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)

    references = page.locator(".queue-table .ref").all_inner_texts()

    assert references == ["D-100", "D-200", "D-300"]


def test_next_case_button_opens_workspace(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)

    page.click("#next-case")

    page.wait_for_url(f"{case_url(live_server, 'D-100')}?from=next")
    expect(page.locator("h1")).to_contain_text("Harbour Foods Ltd")


def test_next_case_focuses_outcome(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)

    page.click("#next-case")

    page.wait_for_url(f"{case_url(live_server, 'D-100')}?from=next")
    expect(page.locator("#outcome")).to_be_focused()


def test_outcome_updates_timeline_in_place(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)
    page.click("#next-case")
    page.wait_for_url(f"{case_url(live_server, 'D-100')}?from=next")
    page.evaluate("window.hubMarker = 'still here'")

    page.select_option("#outcome", "no_answer")
    page.fill("#note", "Rang twice before noon")
    page.click("#outcome-form button[type=submit]")

    expect(page.locator("#timeline")).to_contain_text("Rang twice before noon")
    expect(page.locator("#flash")).to_contain_text("Outcome logged: No answer.")
    assert page.evaluate("window.hubMarker") == "still here"
    assert page.input_value("#note") == ""


def test_outcome_error_shows_next_to_field(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)
    page.goto(case_url(live_server, "D-200"))
    page.evaluate("window.hubMarker = 'still here'")

    page.select_option("#outcome", "promise_to_pay")
    page.fill("#note", "Promised to pay soon")
    page.click("#outcome-form button[type=submit]")

    expect(page.locator("#next-action-error")).to_contain_text("A next action date is required for Promise to pay")
    assert page.input_value("#note") == "Promised to pay soon"
    assert page.evaluate("window.hubMarker") == "still here"


def test_n_key_takes_next_case(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)
    page.select_option("#filter-segment", "low")
    expect(page.locator(".queue-table .ref")).to_have_count(1)

    page.keyboard.press("n")

    page.wait_for_url(f"{case_url(live_server, 'D-300')}?from=next")


def test_filter_keeps_a_real_url(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)

    page.keyboard.press("/")
    expect(page.locator("#filter-segment")).to_be_focused()
    page.select_option("#filter-segment", "medium")

    expect(page.locator(".queue-table .ref")).to_have_text(["D-200"])
    assert page.url == f"{live_server.base_url}/queues/call?segment=medium"


def test_question_mark_opens_shortcuts(live_server: LiveServer, browser: Browser) -> None:
    page = signed_in_page(browser, live_server)

    page.keyboard.press("?")

    expect(page.locator("#shortcuts")).to_be_visible()
