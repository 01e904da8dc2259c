"""The outcome form on the workspace and the outcome API: channels, wrong party, call-backs, already paid, notes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.tokens import create_token
from hub.cases.models import Case
from hub.interactions.models import Channel, Interaction
from hub.payments.models import PaymentCheck
from tests.factories import World, build_world, csrf_headers, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def case_url(world: World, reference: str) -> str:
    return f"/cases/{world.cases[reference].id}"


def local_today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


async def post_outcome(client: AsyncTestClient, world: World, reference: str, **data: str):  # type: ignore[no-untyped-def]
    await client.get(case_url(world, reference))
    return await client.post(f"{case_url(world, reference)}/outcomes", data=data, headers=htmx_headers(client))


def contact_panel(html: str) -> str:
    start = html.index('<section id="contact-panel"')
    return html[start : html.index("</section>", start)]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# The form


async def test_form_offers_channels(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    for value, label in (("call", "Call"), ("email", "Email"), ("sms", "SMS"), ("letter", "Letter"), ("note", "Note")):
        assert f'<option value="{value}" ' in response.text
        assert f">{label}</option>" in response.text
    assert '<option value="call" selected>Call</option>' in response.text


async def test_form_points_to_panels(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    hint = squash(response.text[response.text.index('id="outcome-hint"') :])
    assert 'href="#promise-form" data-focus-target="promise-amount">promise panel</a>' in hint
    assert 'href="#dispute-form" data-focus-target="dispute-reason">dispute panel</a>' in hint
    assert 'aria-describedby="outcome-hint' in response.text


async def test_form_names_debtor_zone(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    world.debtors["D-100"].timezone = "America/Chicago"
    await session.commit()

    response = await client.get(case_url(world, "D-100"))

    assert 'Call back at <span class="hint">America/Chicago</span>' in response.text
    assert "debtor's local time (America/Chicago), 08:00-21:00" in response.text
    # No native min/max: the server's message for a time outside the window shows under the field.
    assert 'min="08:00"' not in response.text


# Wrong party


async def test_wrong_party_strikes_phone(client: AsyncTestClient, world: World) -> None:
    response = await post_outcome(client, world, "D-100", outcome="wrong_party", channel="call", note="")

    panel = squash(contact_panel(response.text))
    today = datetime.now(UTC).date().isoformat()
    assert '<s class="phone-unusable">+31201234567</s>' in panel
    assert f"unusable: wrong party on {today}" in panel
    assert "tel:" not in panel
    assert 'hx-swap-oob="true"' in panel


async def test_wrong_party_page_has_no_tel(client: AsyncTestClient, world: World) -> None:
    await post_outcome(client, world, "D-100", outcome="wrong_party", channel="call")

    response = await client.get(case_url(world, "D-100"))

    assert "tel:+31201234567" not in response.text
    assert '<s class="phone-unusable">+31201234567</s>' in response.text


async def test_usable_phone_has_tel(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert '<a href="tel:+31201234567">+31201234567</a>' in response.text


async def test_queue_says_no_usable_phone(client: AsyncTestClient, world: World) -> None:
    today = local_today("Europe/Amsterdam").isoformat()
    await post_outcome(client, world, "D-200", outcome="wrong_party", channel="call", next_action_on=today)

    response = await client.get("/queues/call")

    row = re.search(r'<span class="ref">D-200</span>.*?</tr>', response.text, re.DOTALL)
    assert row is not None
    assert "· no usable phone" in squash(row.group(0))


# Call-backs


async def test_call_back_outside_window_422(client: AsyncTestClient, world: World) -> None:
    tomorrow = (local_today("Europe/Amsterdam") + timedelta(days=1)).isoformat()

    response = await post_outcome(
        client,
        world,
        "D-100",
        outcome="call_back_requested",
        channel="call",
        next_action_on=tomorrow,
        next_action_time="21:30",
        note="Wants a call after dinner",
    )

    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#outcome-form"
    assert 'id="next-action-time-error"' in response.text
    assert (
        "Call-back time 21:30 is outside the calling window 08:00-21:00 in the debtor&#39;s time zone "
        "(Europe/Amsterdam): pick a time from 08:00 to 21:00."
    ) in response.text
    assert 'value="21:30"' in response.text
    assert "Wants a call after dinner</textarea>" in response.text


async def test_call_back_bad_time_names_value(client: AsyncTestClient, world: World) -> None:
    tomorrow = (local_today("Europe/Amsterdam") + timedelta(days=1)).isoformat()

    response = await post_outcome(
        client, world, "D-100", outcome="call_back_requested", next_action_on=tomorrow, next_action_time="2pm"
    )

    assert response.status_code == 422
    assert "Invalid call-back time &#39;2pm&#39;: use HH:MM on a 24-hour clock" in response.text


async def test_call_back_shows_local_time(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    world.debtors["D-100"].timezone = "America/New_York"
    await session.commit()
    day = local_today("America/New_York") + timedelta(days=1)

    response = await post_outcome(
        client,
        world,
        "D-100",
        outcome="call_back_requested",
        channel="call",
        next_action_on=day.isoformat(),
        next_action_time="10:45",
    )

    assert response.status_code == 200
    assert f"call back at {day.isoformat()} 10:45 America/New_York" in squash(contact_panel(response.text))
    case = await session.get_one(Case, world.cases["D-100"].id, populate_existing=True)
    assert case.next_action_at == datetime(day.year, day.month, day.day, 10, 45, tzinfo=ZoneInfo("America/New_York"))
    assert case.next_action_on == day


# Already paid


async def test_already_paid_form_opens_check(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    paid_on = (local_today("Europe/Amsterdam") - timedelta(days=3)).isoformat()

    response = await post_outcome(
        client,
        world,
        "D-100",
        outcome="already_paid",
        channel="call",
        paid_on=paid_on,
        paid_amount="1234,50",
        paid_reference="TRX-77",
    )

    assert response.status_code == 200
    check = await session.scalar(select(PaymentCheck))
    assert check is not None
    assert (check.claimed_paid_on, check.claimed_amount_minor, check.claimed_reference) == (
        date.fromisoformat(paid_on),
        123_450,
        "TRX-77",
    )
    panel = squash(contact_panel(response.text))
    assert "Checking" in panel
    assert f"Debtor says: paid on {paid_on}, €1,234.50, bank reference TRX-77" in panel
    assert f"waiting until {check.due_on.isoformat()}" in panel


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1.234,50", "Invalid amount paid &#39;1.234,50&#39;: type digits and an optional decimal point"),
        ("12.345", "Amount paid &#39;12.345&#39; has more decimals than EUR allows: round it to 2 decimals"),
        ("0", "Amount paid must be more than zero"),
    ],
)
async def test_already_paid_bad_amount(
    client: AsyncTestClient, world: World, session: AsyncSession, amount: str, message: str
) -> None:
    response = await post_outcome(client, world, "D-100", outcome="already_paid", paid_amount=amount)

    assert response.status_code == 422
    assert message in response.text
    assert 'id="paid-amount-error"' in response.text
    assert '<details class="outcome-extra" id="paid-details" open>' in response.text
    assert await session.scalar(select(PaymentCheck)) is None


async def test_paid_details_closed_by_default(client: AsyncTestClient, world: World) -> None:
    response = await client.get(case_url(world, "D-100"))

    assert '<details class="outcome-extra" id="paid-details">' in response.text
    assert "The case then waits up to 5 days for that payment" in response.text


# Notes


async def test_note_without_outcome(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await post_outcome(
        client, world, "D-100", outcome="none", channel="note", note="Director changed last week"
    )

    assert response.status_code == 200
    assert "Note added." in response.text
    interaction = await session.scalar(select(Interaction))
    assert interaction is not None
    assert (interaction.channel, interaction.outcome, interaction.note) == (
        Channel.NOTE,
        None,
        "Director changed last week",
    )


async def test_no_outcome_needs_note_channel(client: AsyncTestClient, world: World) -> None:
    response = await post_outcome(client, world, "D-100", outcome="none", channel="call", note="x")

    assert response.status_code == 422
    assert "Outcome is missing: pick what came of the call" in response.text


async def test_email_outcome_logged(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    response = await post_outcome(client, world, "D-100", outcome="right_party_contact", channel="email")

    assert "Outbound email: Right-party contact" in response.text
    interaction = await session.scalar(select(Interaction))
    assert interaction is not None
    assert interaction.channel == Channel.EMAIL


async def test_outcome_without_js_keeps_redirect(client: AsyncTestClient, world: World) -> None:
    await client.get(case_url(world, "D-100"))

    response = await client.post(
        f"{case_url(world, 'D-100')}/outcomes",
        data={"outcome": "none", "channel": "note", "note": "Typed without scripts"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == case_url(world, "D-100")


# The API


@pytest.fixture
async def token(session: AsyncSession, world: World) -> str:
    _, created = await create_token(session, world.agent, "outcome tests")
    await session.commit()
    return created


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_api_call_back_at_time(client: AsyncTestClient, world: World, token: str) -> None:
    day = local_today("Europe/Amsterdam") + timedelta(days=1)
    payload = {"outcome": "call_back_requested", "next_action_on": day.isoformat(), "next_action_time": "09:00"}

    response = await client.post(f"/api/v1{case_url(world, 'D-200')}/outcomes", json=payload, headers=bearer(token))

    assert response.status_code == 201
    body = response.json()
    expected = datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)
    assert datetime.fromisoformat(body["next_action_at"]) == expected
    assert body["channel"] == "call"
    detail = (await client.get(f"/api/v1{case_url(world, 'D-200')}", headers=bearer(token))).json()
    assert datetime.fromisoformat(detail["next_action_at"]) == expected


async def test_api_call_back_window_422(client: AsyncTestClient, world: World, token: str) -> None:
    day = local_today("Europe/Amsterdam") + timedelta(days=1)
    payload = {"outcome": "call_back_requested", "next_action_on": day.isoformat(), "next_action_time": "06:30"}

    response = await client.post(f"/api/v1{case_url(world, 'D-200')}/outcomes", json=payload, headers=bearer(token))

    assert response.status_code == 422
    assert "06:30 is outside the calling window 08:00-21:00" in response.json()["error"]["fields"]["next_action_time"]


async def test_api_already_paid(client: AsyncTestClient, world: World, session: AsyncSession, token: str) -> None:
    payload = {"outcome": "already_paid", "channel": "email", "paid_amount_minor": 5_000, "paid_reference": "R-1"}

    response = await client.post(f"/api/v1{case_url(world, 'D-200')}/outcomes", json=payload, headers=bearer(token))

    assert response.status_code == 201
    check = await session.scalar(select(PaymentCheck))
    assert check is not None
    assert (check.claimed_amount_minor, check.claimed_reference, check.interaction_id) == (
        5_000,
        "R-1",
        response.json()["id"],
    )
    assert response.json()["next_action_on"] == check.due_on.isoformat()


async def test_api_wrong_party_in_detail(client: AsyncTestClient, world: World, token: str) -> None:
    await client.post(
        f"/api/v1{case_url(world, 'D-200')}/outcomes", json={"outcome": "wrong_party"}, headers=bearer(token)
    )

    debtor = (await client.get(f"/api/v1{case_url(world, 'D-200')}", headers=bearer(token))).json()["debtor"]

    assert debtor["phone"] == "+31201234567"
    assert debtor["phone_usable"] is False
    assert debtor["unusable_phone_at"] is not None


async def test_api_note_no_outcome(client: AsyncTestClient, world: World, session: AsyncSession, token: str) -> None:
    payload = {"channel": "note", "note": "Asked for a statement by post"}

    response = await client.post(f"/api/v1{case_url(world, 'D-200')}/outcomes", json=payload, headers=bearer(token))

    assert response.status_code == 201
    assert response.json()["outcome"] == ""
    assert response.json()["channel"] == "note"
    interaction = await session.scalar(select(Interaction))
    assert interaction is not None
    assert (interaction.channel, interaction.outcome) == (Channel.NOTE, None)
