"""The call queue page, its filters and the Next case button."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.cases.models import Case
from tests.factories import World, build_world, csrf_headers, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def debtor_order(html: str) -> list[str]:
    return re.findall(r'<span class="ref">(D-\d+)</span>', html)


def count_of(html: str, label: str) -> str:
    match = re.search(rf"<dt>{label}</dt><dd>(\d+)</dd>", html)
    assert match is not None, label
    return match.group(1)


async def test_queue_lists_cases_by_priority(client: AsyncTestClient) -> None:
    response = await client.get("/queues/call")

    assert response.status_code == 200
    assert debtor_order(response.text) == ["D-100", "D-200", "D-300"]


async def test_queue_hides_other_clients_cases(client: AsyncTestClient) -> None:
    response = await client.get("/queues/call")

    assert "D-900" not in response.text


async def test_queue_shows_counts(client: AsyncTestClient) -> None:
    response = await client.get("/queues/call")

    assert count_of(response.text, "Workable now") == "3"
    assert count_of(response.text, "Claimed by others") == "0"
    assert count_of(response.text, "Scheduled later") == "0"


async def test_queue_formats_open_amount(client: AsyncTestClient) -> None:
    response = await client.get("/queues/call")

    # D-100 owes 1,000.00 + 80.00 collectible; the disputed 250.00 is left out.
    assert "€1,080.00" in response.text


async def test_queue_filters_by_segment(client: AsyncTestClient) -> None:
    response = await client.get("/queues/call?segment=medium")

    assert debtor_order(response.text) == ["D-200"]
    assert count_of(response.text, "Workable now") == "1"


async def test_queue_htmx_filter_returns_table_only(client: AsyncTestClient) -> None:
    headers = htmx_headers(client, target="queue-results")

    response = await client.get("/queues/call?segment=low", headers=headers)

    assert debtor_order(response.text) == ["D-300"]
    assert "<html" not in response.text
    assert response.headers["vary"] == "HX-Request"


async def test_queue_rejects_unknown_segment(client: AsyncTestClient) -> None:
    response = await client.get("/queues/call?segment=purple")

    assert response.status_code == 422
    assert "Unknown segment &#39;purple&#39;" in response.text


async def test_queue_client_filter_outside_scope_is_404(client: AsyncTestClient) -> None:
    response = await client.get("/queues/call?client=globex")

    assert response.status_code == 404


async def test_admin_sees_every_client(database_url: str, engine: AsyncEngine, world: World) -> None:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as admin:
        await sign_in(admin, "admin@hub.test")
        response = await admin.get("/queues/call")

    assert debtor_order(response.text) == ["D-900", "D-100", "D-200", "D-300"]
    assert 'id="filter-client"' in response.text


async def test_next_case_claims_and_redirects(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await client.get("/queues/call")

    response = await client.post("/queues/call/next", headers=csrf_headers(client), follow_redirects=False)

    case_id = world.cases["D-100"].id
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case_id}?from=next"
    claimed_by = await session.scalar(select(Case.claimed_by_id).where(Case.id == case_id))
    assert claimed_by == world.agent.id


async def test_next_case_htmx_uses_hx_redirect(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")

    response = await client.post("/queues/call/next", data={"segment": "low"}, headers=htmx_headers(client))

    assert response.status_code == 200
    assert response.headers["hx-redirect"] == f"/cases/{world.cases['D-300'].id}?from=next"


async def claim_for_admin(session: AsyncSession, world: World, reference: str) -> None:
    case = world.cases[reference]
    case.claimed_by_id = world.admin.id
    case.claimed_until = datetime.now(UTC) + timedelta(minutes=10)
    await session.commit()


async def test_next_case_empty_queue_shows_message(
    client: AsyncTestClient, world: World, session: AsyncSession
) -> None:
    await claim_for_admin(session, world, "D-100")
    await client.get("/queues/call")

    response = await client.post("/queues/call/next", data={"segment": "high"}, headers=htmx_headers(client))

    assert response.status_code == 200
    assert "No case is ready to work right now." in response.text
    assert "1 case is being worked by other agents." in response.text


async def test_next_case_empty_without_htmx_redirects(
    client: AsyncTestClient, world: World, session: AsyncSession
) -> None:
    await claim_for_admin(session, world, "D-100")
    await client.get("/queues/call")

    response = await client.post("/queues/call/next", data={"segment": "high"}, headers=csrf_headers(client))

    assert response.status_code == 200
    assert str(response.url).endswith("/queues/call?segment=high&notice=empty")
    assert "No case is ready to work right now." in response.text


async def test_queue_counts_claims_by_others(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await claim_for_admin(session, world, "D-200")

    response = await client.get("/queues/call")

    assert count_of(response.text, "Claimed by others") == "1"
    assert debtor_order(response.text) == ["D-100", "D-300"]


async def press_next(client: AsyncTestClient) -> str:
    response = await client.post("/queues/call/next", headers=csrf_headers(client), follow_redirects=False)
    return response.headers["location"]


async def test_next_case_again_returns_held_case(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")
    case_id = world.cases["D-100"].id

    first = await press_next(client)
    second = await press_next(client)

    assert first == f"/cases/{case_id}?from=next"
    assert second == f"/cases/{case_id}?from=held"


async def test_held_case_page_shows_notice(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")
    await press_next(client)

    response = await client.get(await press_next(client))

    case_id = world.cases["D-100"].id
    assert f"You still hold case {case_id}: log an outcome or release it." in response.text


async def test_held_notice_needs_live_claim(client: AsyncTestClient, world: World) -> None:
    response = await client.get(f"/cases/{world.cases['D-100'].id}?from=held")

    assert "You still hold case" not in response.text


async def test_queue_marks_my_claim(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")
    await press_next(client)

    response = await client.get("/queues/call")

    rows = re.findall(r'<tr class="is-mine">.*?<span class="ref">(D-\d+)</span>', response.text, re.DOTALL)
    assert rows == ["D-100"]
    assert response.text.count('<span class="badge yours"') == 1


async def test_release_case_clears_claim(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await client.get("/queues/call")
    await press_next(client)
    case_id = world.cases["D-100"].id

    response = await client.post(f"/cases/{case_id}/release", headers=csrf_headers(client), follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/queues/call?released={case_id}"
    assert await session.scalar(select(Case.claimed_by_id).where(Case.id == case_id)) is None


async def test_release_htmx_uses_hx_redirect(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")
    case_id = world.cases["D-100"].id

    response = await client.post(f"/cases/{case_id}/release", headers=htmx_headers(client))

    assert response.status_code == 200
    assert response.headers["hx-redirect"] == f"/queues/call?released={case_id}"


async def test_release_keeps_other_users_claim(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await claim_for_admin(session, world, "D-200")
    await client.get("/queues/call")
    case_id, admin_id = world.cases["D-200"].id, world.admin.id

    await client.post(f"/cases/{case_id}/release", headers=csrf_headers(client))

    session.expire_all()
    assert await session.scalar(select(Case.claimed_by_id).where(Case.id == case_id)) == admin_id


async def test_queue_shows_released_notice(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id

    response = await client.get(f"/queues/call?released={case_id}")

    assert f"Case {case_id} released: it is back in the queue for any agent." in response.text


def next_action_cell(html: str, reference: str) -> str:
    row = re.search(rf'<span class="ref">{reference}</span>.*?</tr>', html, re.DOTALL)
    assert row is not None, reference
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.DOTALL)
    return re.sub(r"\s+", " ", cells[-1]).strip()


async def test_queue_next_action_needs_phone(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    world.debtors["D-200"].phone = None
    await session.commit()

    response = await client.get("/queues/call")

    assert next_action_cell(response.text, "D-100") == "Call"
    assert next_action_cell(response.text, "D-200") == '<span class="muted">No phone</span>'


async def test_queue_current_case_not_due(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    case = world.cases["D-300"]
    case.oldest_due_date = world.client.as_of_date + timedelta(days=5)  # type: ignore[operator]
    await session.commit()

    response = await client.get("/queues/call")

    row = re.search(r'<span class="ref">D-300</span>.*?</tr>', response.text, re.DOTALL)
    assert row is not None
    assert '<td class="num"><span class="muted">not due</span></td>' in row.group(0)


async def test_favicon_redirects_to_svg(database_url: str, engine: AsyncEngine, world: World) -> None:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as anonymous:
        redirect = await anonymous.get("/favicon.ico", follow_redirects=False)
        icon = await anonymous.get("/static/favicon.svg")

    assert redirect.status_code == 301
    assert redirect.headers["location"] == "/static/favicon.svg"
    assert icon.status_code == 200
    assert icon.text.startswith("<svg")
