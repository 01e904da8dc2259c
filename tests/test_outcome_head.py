"""The case header after a save, the release notice, native field limits and channel labels, over HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.cases.models import Case, CaseStatus
from tests.factories import World, build_world, csrf_headers, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def case_url(world: World, reference: str = "D-100") -> str:
    return f"/cases/{world.cases[reference].id}"


def acme_today() -> date:
    # The world's clients use the default time zone of new_client.
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def head_actions(html: str) -> str:
    start = html.index('<div id="case-head-actions"')
    return html[start : html.index("</div>", start)]


async def claim_top_case(client: AsyncTestClient) -> str:
    response = await client.post("/queues/call/next", headers=csrf_headers(client), follow_redirects=False)
    return response.headers["location"]


async def post_form(client: AsyncTestClient, world: World, action: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    url = case_url(world)
    return await client.post(f"{url}/{action}", data=data, headers=htmx_headers(client, current_url=url))


# The header after a save


async def test_claimed_case_shows_release(client: AsyncTestClient, world: World) -> None:
    assert (await claim_top_case(client)).startswith(case_url(world))

    head = head_actions((await client.get(case_url(world))).text)

    assert "Yours until" in head
    assert "Release case" in head


async def test_outcome_swaps_header(client: AsyncTestClient, world: World) -> None:
    await claim_top_case(client)

    response = await post_form(client, world, "outcomes", {"outcome": "voicemail", "channel": "call"})

    assert response.status_code == 200
    head = head_actions(response.text)
    assert 'hx-swap-oob="true"' in head
    assert "Yours until" not in head
    assert "Release case" not in head
    assert 'id="next-case"' in head


async def test_note_keeps_claim_in_header(client: AsyncTestClient, world: World) -> None:
    await claim_top_case(client)

    response = await post_form(client, world, "outcomes", {"outcome": "none", "channel": "note", "note": "Fax sent"})

    assert response.status_code == 200
    assert "Release case" in head_actions(response.text)


async def test_promise_swaps_header(client: AsyncTestClient, world: World) -> None:
    await claim_top_case(client)
    data = {
        "amount": "300,00",
        "first_due_on": (acme_today() + timedelta(days=7)).isoformat(),
        "instalments": "1",
        "frequency": "monthly",
        "invoices": ["A-1"],
        "channel": "call",
    }

    response = await post_form(client, world, "promises", data)

    assert response.status_code == 200
    head = head_actions(response.text)
    assert 'hx-swap-oob="true"' in head
    assert "Release case" not in head


async def test_dispute_swaps_header(client: AsyncTestClient, world: World) -> None:
    await claim_top_case(client)
    data = {"reason": "wrong_amount", "channel": "call", "invoices": ["A-1"], "note": ""}

    response = await post_form(client, world, "disputes", data)

    assert response.status_code == 200
    head = head_actions(response.text)
    assert 'hx-swap-oob="true"' in head
    assert "Release case" not in head


# The notice after a release


async def test_release_names_due_day(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await claim_top_case(client)
    await post_form(client, world, "outcomes", {"outcome": "no_answer", "channel": "call"})
    case = await session.get_one(Case, world.cases["D-100"].id)
    await session.refresh(case)
    assert case.next_action_on is not None and case.next_action_on > acme_today()

    response = await client.post(f"{case_url(world)}/release", headers=csrf_headers(client))

    text = response.text
    assert "back in the queue" not in text
    assert f"is due again on {case.next_action_on.isoformat()}" in text


async def test_release_names_call_back(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    case = await session.get_one(Case, world.cases["D-100"].id)
    case.next_action_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    case.next_action_on = case.next_action_at.date()
    await session.commit()

    response = await client.get(f"/queues/call?released={case.id}")

    assert f"is due again at {case.next_action_at:%Y-%m-%d %H:%M} UTC" in response.text


async def test_release_of_due_case(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-200"].id

    response = await client.get(f"/queues/call?released={case_id}")

    assert f"Case {case_id} released: it is back in the queue for any agent." in response.text


async def test_release_of_closed_case(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    case = await session.get_one(Case, world.cases["D-300"].id)
    case.status = CaseStatus.CLOSED
    await session.commit()

    response = await client.get(f"/queues/call?released={case.id}")

    assert f"Case {case.id} released: it has nothing open to collect" in response.text


async def test_release_notice_stays_in_scope(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-900"].id

    response = await client.get(f"/queues/call?released={case_id}")

    assert response.status_code == 200
    assert f"Case {case_id} released" not in response.text


# Native limits that would hide the server's message


async def test_time_field_has_no_native_range(client: AsyncTestClient, world: World) -> None:
    html = (await client.get(case_url(world))).text

    field = re.search(r'<input id="next_action_time"[^>]*>', html, re.DOTALL)
    assert field is not None
    assert "min=" not in field.group(0)
    assert "max=" not in field.group(0)
    for form_id in ("outcome-form", "promise-form", "dispute-form"):
        form = re.search(rf'<form id="{form_id}"[^>]*>', html, re.DOTALL)
        assert form is not None
        assert "novalidate" in form.group(0), form_id


async def test_late_call_back_error_under_field(client: AsyncTestClient, world: World) -> None:
    day = (acme_today() + timedelta(days=1)).isoformat()
    data = {"outcome": "call_back_requested", "channel": "call", "next_action_on": day, "next_action_time": "22:15"}

    response = await post_form(client, world, "outcomes", data)

    assert response.status_code == 422
    field = re.search(r'<input id="next_action_time"[^>]*>', response.text, re.DOTALL)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert "next-action-time-error" in field.group(0)
    error = re.search(r'<p class="field-error" id="next-action-time-error">([^<]+)</p>', response.text)
    assert error is not None
    assert "22:15" in error.group(1)


async def test_missing_outcome_error_under_field(client: AsyncTestClient, world: World) -> None:
    response = await post_form(client, world, "outcomes", {"outcome": "", "channel": "call"})

    assert response.status_code == 422
    assert '<p class="field-error" id="outcome-error">' in response.text


# Channel labels


async def test_dispute_channels_match_outcome(client: AsyncTestClient, world: World) -> None:
    html = (await client.get(case_url(world))).text

    select = html[html.index('<select id="dispute-channel"') :]
    select = select[: select.index("</select>")]
    assert '<option value="sms" >SMS</option>' in select
    assert "Sms" not in html
