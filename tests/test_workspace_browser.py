"""The case workspace in headless Chromium: a call-back at a time, wrong party and the timeline filter by keyboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import LiveServer
from tests.test_browser_call_queue import case_url, signed_in_page

pytestmark = pytest.mark.browser
WORKSPACE_SIZE = {"width": 1366, "height": 768}


def open_workspace(browser: Browser, server: LiveServer, reference: str) -> Page:
    page = signed_in_page(browser, server)
    page.set_viewport_size(WORKSPACE_SIZE)
    page.goto(case_url(server, reference))
    expect(page.locator("#timeline")).to_be_visible()
    return page


def log_outcome(page: Page, outcome: str, note: str = "") -> None:
    page.select_option("#outcome", outcome)
    if note:
        page.fill("#note", note)
    page.click("#outcome-form button[type=submit]")


def test_call_back_at_local_time(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    day = (datetime.now(ZoneInfo("Europe/Amsterdam")) + timedelta(days=1)).date().isoformat()
    expect(page.locator("label[for=next_action_time]")).to_contain_text("Europe/Amsterdam")

    page.select_option("#outcome", "call_back_requested")
    page.fill("#next_action_on", day)
    page.fill("#next_action_time", "14:30")
    page.fill("#note", "Owner back from holiday tomorrow")
    page.click("#outcome-form button[type=submit]")

    expect(page.locator("#flash")).to_contain_text("Outcome logged: Call back requested.")
    expect(page.locator("#next-action")).to_contain_text(f"call back at {day} 14:30 Europe/Amsterdam")
    expect(page.locator("#timeline")).to_contain_text(f"Call back at {day} 14:30 Europe/Amsterdam")
    assert page.input_value("#next_action_time") == ""


def test_call_back_outside_hours_blocked(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    day = (datetime.now(ZoneInfo("Europe/Amsterdam")) + timedelta(days=1)).date().isoformat()

    page.select_option("#outcome", "call_back_requested")
    page.fill("#next_action_on", day)
    page.fill("#next_action_time", "22:15")
    page.click("#outcome-form button[type=submit]")

    # The server refuses the time and says why under the field.
    expect(page.locator("#next-action-time-error")).to_contain_text("22:15")
    expect(page.locator("#next_action_time")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#timeline")).not_to_contain_text("Call back requested")


def test_wrong_party_strikes_phone(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-200")
    expect(page.locator("#contact-panel a[href^='tel:']")).to_have_count(1)

    log_outcome(page, "wrong_party", "A florist answered")

    expect(page.locator("#contact-panel .phone-unusable")).to_have_text("+31201234567")
    expect(page.locator("#contact-panel")).to_contain_text("unusable: wrong party on")
    expect(page.locator("#contact-panel a[href^='tel:']")).to_have_count(0)


def test_filter_timeline_by_keyboard(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    log_outcome(page, "voicemail", "Left a message about A-1")
    expect(page.locator("#timeline")).to_contain_text("Left a message about A-1")
    page.locator("#note").blur()

    page.keyboard.press("t")
    expect(page.locator("#timeline-kind-all")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#timeline-kind-calls")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#timeline-kind-calls")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#timeline-kind-all")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#timeline .timeline li")).to_have_count(1)
    expect(page.locator("#timeline")).not_to_contain_text("Dispute opened")
    expect(page.locator("#timeline-kind-calls")).to_be_focused()
    assert page.url == f"{case_url(live_server, 'D-100')}?kind=calls"

    # Messages, Notes and Promises come before Disputes.
    for _ in range(4):
        page.keyboard.press("Tab")
    expect(page.locator("#timeline-kind-disputes")).to_be_focused()
    page.keyboard.press("Space")

    expect(page.locator("#timeline-kind-disputes")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#timeline .timeline li")).to_have_count(1)
    expect(page.locator("#timeline")).to_contain_text("Dispute opened on invoice A-2")
    expect(page.locator("#timeline")).not_to_contain_text("Left a message about A-1")


def test_filtered_page_survives_reload(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    page.click("#timeline-kind-disputes")
    expect(page.locator("#timeline-kind-disputes")).to_have_attribute("aria-pressed", "true")

    page.reload()

    expect(page.locator("#timeline-kind-disputes")).to_have_attribute("aria-pressed", "true")
    page.go_back()
    expect(page.locator("#timeline-kind-all")).to_have_attribute("aria-pressed", "true")


def test_keys_reach_promise_and_dispute(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    page.locator("body").click(position={"x": 5, "y": 300})

    page.keyboard.press("p")
    expect(page.locator("#promise-amount")).to_be_focused()
    page.locator("#promise-amount").blur()
    page.keyboard.press("d")
    expect(page.locator("#dispute-reason")).to_be_focused()


def test_help_lists_case_keys(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")

    page.keyboard.press("?")

    dialog = page.locator("#shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("go to the promise form's amount")
    expect(dialog).to_contain_text("go to the dispute form's reason")
    expect(dialog).to_contain_text("go to the timeline filter")


def test_outcome_hint_focuses_panel(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")

    page.click("#outcome-hint a[data-focus-target=promise-amount]")

    expect(page.locator("#promise-amount")).to_be_focused()


def test_already_paid_opens_details(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    expect(page.locator("#paid_amount")).to_be_hidden()

    page.select_option("#outcome", "already_paid")
    page.fill("#paid_amount", "80.00")
    page.fill("#paid_reference", "NL-TRX-1")
    page.click("#outcome-form button[type=submit]")

    expect(page.locator("#contact-panel")).to_contain_text("Checking")
    expect(page.locator("#contact-panel")).to_contain_text("Debtor says: €80.00, bank reference NL-TRX-1")


def test_workspace_fits_laptop_width(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    outcome = page.locator("#outcome").bounding_box()
    side = page.locator(".workspace-side").bounding_box()

    assert scroll_width <= WORKSPACE_SIZE["width"]
    assert outcome is not None
    assert side is not None
    assert outcome["x"] + outcome["width"] <= side["x"] + side["width"]
    # The outcome select is wide enough for its longest label, so none is cut off.
    assert page.eval_on_selector("#outcome", "select => select.scrollWidth <= select.clientWidth + 1")


def test_dispute_refreshes_timeline_and_numbers(live_server: LiveServer, browser: Browser) -> None:
    page = open_workspace(browser, live_server, "D-100")
    page.click("#timeline-kind-disputes")
    expect(page.locator("#timeline .timeline li")).to_have_count(1)
    expect(page.locator("#case-numbers")).to_contain_text("Open disputes 1")

    page.select_option("#dispute-reason", "wrong_amount")
    page.check("#dispute-form input[name=invoices][value=A-1]")
    page.click("#dispute-form button[type=submit]")

    # The dispute panel's response fires timeline-changed, and both sections reload with their filter kept.
    expect(page.locator("#timeline .timeline li")).to_have_count(2)
    expect(page.locator("#timeline")).to_contain_text("Dispute opened on invoice A-1 (Wrong amount)")
    expect(page.locator("#timeline-kind-disputes")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#case-numbers")).to_contain_text("Open disputes 2")
