"""Keys and focus in the case workspace, pressed as an agent would in headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import LiveServer
from tests.test_browser_call_queue import case_url, signed_in_page
from tests.test_workspace_browser import WORKSPACE_SIZE, open_workspace

pytestmark = pytest.mark.browser


def next_case_from_queue(browser: Browser, server: LiveServer) -> Page:
    """Take the top case with "n" from the queue. The workspace opens with the focus on the outcome select."""
    page = signed_in_page(browser, server)
    page.set_viewport_size(WORKSPACE_SIZE)
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/cases/\d+\?from=next$"))
    expect(page.locator("#outcome")).to_be_focused()
    return page


def case_id_in(url: str) -> str:
    match = re.search(r"/cases/(\d+)", url)
    assert match is not None, url
    return match.group(1)


def test_alt_p_leaves_outcome_alone(live_server: LiveServer, browser: Browser) -> None:
    page = next_case_from_queue(browser, live_server)

    page.keyboard.press("Alt+p")

    expect(page.locator("#promise-amount")).to_be_focused()
    assert page.input_value("#outcome") == ""


def test_alt_d_from_text_field(live_server: LiveServer, browser: Browser) -> None:
    page = next_case_from_queue(browser, live_server)
    page.keyboard.press("Alt+p")
    page.keyboard.type("120")

    page.keyboard.press("Alt+d")

    expect(page.locator("#dispute-reason")).to_be_focused()
    assert page.input_value("#promise-amount") == "120"
    assert page.input_value("#dispute-reason") == ""


def test_alt_n_from_select(live_server: LiveServer, browser: Browser) -> None:
    page = next_case_from_queue(browser, live_server)
    first = case_id_in(page.url)
    page.keyboard.press("Alt+n")

    # Still holding the first case, "Next case" returns it with a notice rather than skipping it.
    expect(page.locator("#flash")).to_contain_text(f"You still hold case {first}")
    assert page.input_value("#outcome") == ""


def test_plain_letters_outside_fields(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    page.locator("body").click(position={"x": 5, "y": 300})

    page.keyboard.press("p")

    expect(page.locator("#promise-amount")).to_be_focused()


def test_outcome_focuses_next_case(live_server: LiveServer, browser: Browser) -> None:
    page = next_case_from_queue(browser, live_server)
    first = case_id_in(page.url)
    page.select_option("#outcome", "no_answer")
    page.focus("#outcome")

    page.keyboard.press("Control+Enter")

    expect(page.locator("#flash")).to_contain_text("Outcome logged: No answer.")
    expect(page.locator("#next-case")).to_be_focused()
    page.keyboard.press("n")
    page.wait_for_url(lambda url: "/cases/" in url and case_id_in(url) != first)
    assert page.url.endswith("?from=next")


def test_header_drops_claim_after_outcome(live_server: LiveServer, browser: Browser) -> None:
    page = next_case_from_queue(browser, live_server)
    head = page.locator("#case-head-actions")
    expect(head).to_contain_text("Yours until")

    page.select_option("#outcome", "voicemail")
    page.click("#outcome-form button[type=submit]")

    expect(page.locator("#flash")).to_contain_text("Outcome logged")
    expect(head).not_to_contain_text("Yours until")
    expect(head.get_by_role("button", name="Release case")).to_have_count(0)


def test_dispute_by_ctrl_enter(live_server: LiveServer, browser: Browser) -> None:
    page = next_case_from_queue(browser, live_server)
    page.keyboard.press("Alt+d")
    page.select_option("#dispute-reason", "wrong_amount")
    page.check("#dispute-form input[name=invoices][value=A-1]")
    page.focus("#dispute-note")
    page.keyboard.type("Price differs from the order")

    page.keyboard.press("Control+Enter")

    expect(page.locator("#flash")).to_contain_text("recorded on invoice A-1")
    expect(page.locator("#next-case")).to_be_focused()
    expect(page.locator("#case-head-actions")).not_to_contain_text("Yours until")
    expect(page.locator("#timeline")).to_contain_text("(Wrong amount)")


def test_promise_by_ctrl_enter(live_server: LiveServer, browser: Browser) -> None:
    page = next_case_from_queue(browser, live_server)
    page.keyboard.press("Alt+p")
    page.keyboard.type("50,00")
    day = page.evaluate("new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10)")
    page.fill("#promise-first-due-on", day)
    page.focus("#promise-amount")

    page.keyboard.press("Control+Enter")

    expect(page.locator("#flash")).to_contain_text("recorded")
    expect(page.locator("#next-case")).to_be_focused()
    expect(page.locator("#case-head-actions")).not_to_contain_text("Yours until")


def test_help_lists_alt_keys(live_server: LiveServer, browser: Browser) -> None:
    page = next_case_from_queue(browser, live_server)

    page.keyboard.press("Alt+Shift+Slash")

    dialog = page.locator("#shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("with Alt it works everywhere")
    expect(dialog).to_contain_text("Submit the outcome, promise or dispute form")
    expect(page.locator("#next-case")).to_have_attribute("aria-keyshortcuts", "n Alt+n")
    expect(page.locator("#promise-amount")).to_have_attribute("aria-keyshortcuts", "p Alt+p")
    expect(page.locator("#dispute-reason")).to_have_attribute("aria-keyshortcuts", "d Alt+d")


def test_alt_keys_reach_the_page(live_server: LiveServer, browser: Browser) -> None:
    """Headless Chromium hands Alt+key to the page, which handles it and stops the browser's default for it."""
    page = open_workspace(browser, live_server, "D-100")
    page.evaluate(
        "window.altDefaults = [];"
        "window.addEventListener('keydown', e => {"
        "  if (e.altKey && e.key !== 'Alt') { window.altDefaults.push(e.defaultPrevented); }"
        "});"
    )

    page.keyboard.press("Alt+p")
    expect(page.locator("#promise-amount")).to_be_focused()
    page.keyboard.press("Alt+d")
    expect(page.locator("#dispute-reason")).to_be_focused()
    page.keyboard.press("Alt+t")
    expect(page.locator("#timeline-kind-all")).to_be_focused()

    assert page.evaluate("window.altDefaults") == [True, True, True]
    page.keyboard.press("Alt+n")
    page.wait_for_url(f"{case_url(live_server, 'D-100')}?from=next")


def test_late_call_back_names_error(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    page.select_option("#outcome", "call_back_requested")
    day = page.evaluate("new Date(Date.now() + 86400000).toISOString().slice(0, 10)")
    page.fill("#next_action_on", day)
    page.fill("#next_action_time", "07:30")

    page.click("#outcome-form button[type=submit]")

    field = page.locator("#next_action_time")
    expect(page.locator("#next-action-time-error")).to_contain_text("07:30")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()


def test_timeline_status_announced(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    page.select_option("#outcome", "voicemail")

    page.click("#outcome-form button[type=submit]")

    expect(page.locator("#timeline-status")).to_have_text(re.compile(r"^Timeline updated: \d+ events\.$"))
    expect(page.locator("#timeline [aria-live]")).to_have_count(0)
