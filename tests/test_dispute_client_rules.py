"""The admin's promise grace and dispute SLA settings of a client, and the SLA of disputes opened after a change."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import date

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.clients.models import Client
from hub.disputes.services import record_dispute
from tests.dispute_factories import DisputeWorld, build_dispute_world
from tests.factories import csrf_headers, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> DisputeWorld:
    return await build_dispute_world(session)


async def _signed_in(database_url: str, email: str) -> AsyncTestClient:
    client = AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local")
    await client.__aenter__()
    await sign_in(client, email)
    await client.get("/queues/call")
    return client


@pytest.fixture
async def admin(database_url: str, engine: AsyncEngine, world: DisputeWorld) -> AsyncIterator[AsyncTestClient]:
    client = await _signed_in(database_url, "admin@hub.test")
    yield client
    await client.__aexit__(None, None, None)


async def stored_client(session: AsyncSession, slug: str = "acme") -> Client:
    session.expire_all()
    client = await session.scalar(select(Client).where(Client.slug == slug))
    assert client is not None
    return client


def rules_url(world: DisputeWorld) -> str:
    return f"/admin/clients/{world.client_id}/rules"


async def test_page_shows_rules(admin: AsyncTestClient, world: DisputeWorld) -> None:
    response = await admin.get(f"/admin/clients/{world.client_id}")

    assert 'id="client-rules-form"' in response.text
    assert re.search(r'name="promise_grace_days"[^>]*value="3"', response.text)
    assert re.search(r'name="dispute_sla_days"[^>]*value="10"', response.text)


async def test_save_rules(admin: AsyncTestClient, world: DisputeWorld, session: AsyncSession) -> None:
    data = {"promise_grace_days": "5", "dispute_sla_days": "3"}

    response = await admin.post(rules_url(world), data=data, headers=csrf_headers(admin), follow_redirects=False)

    client = await stored_client(session)
    assert response.status_code == 303
    assert client.promise_grace_days == 5
    assert client.dispute_sla_days == 3


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"promise_grace_days": "31", "dispute_sla_days": "10"}, "promise_grace_days", "Promise grace '31' is invalid"),
        ({"promise_grace_days": "3", "dispute_sla_days": "0"}, "dispute_sla_days", "Dispute SLA '0' is invalid"),
        ({"promise_grace_days": "3", "dispute_sla_days": "2.5"}, "dispute_sla_days", "Dispute SLA '2.5' is invalid"),
        ({"promise_grace_days": "", "dispute_sla_days": "10"}, "promise_grace_days", "Promise grace '' is invalid"),
    ],
)
async def test_invalid_rule_rejected(
    admin: AsyncTestClient,
    world: DisputeWorld,
    session: AsyncSession,
    data: dict[str, str],
    field: str,
    expected: str,
) -> None:
    response = await admin.post(rules_url(world), data=data, headers=htmx_headers(admin, "client-rules-form"))

    client = await stored_client(session)
    assert response.status_code == 422
    assert f'id="{field}-error">{expected}' in html.unescape(response.text)
    assert f'aria-invalid="true" aria-describedby="{field}-error"' in response.text
    assert (client.promise_grace_days, client.dispute_sla_days) == (3, 10)


async def test_agent_cannot_change_rules(
    database_url: str, engine: AsyncEngine, world: DisputeWorld, session: AsyncSession
) -> None:
    agent = await _signed_in(database_url, "agent@acme.test")
    try:
        data = {"promise_grace_days": "9", "dispute_sla_days": "9"}
        response = await agent.post(rules_url(world), data=data, headers=csrf_headers(agent), follow_redirects=False)
    finally:
        await agent.__aexit__(None, None, None)

    assert response.status_code in {403, 404}
    assert (await stored_client(session)).dispute_sla_days == 10


async def test_new_sla_applies_to_new_disputes(
    admin: AsyncTestClient, world: DisputeWorld, session: AsyncSession
) -> None:
    scope, case_id, agent_id = world.scope, world.case("D-100").id, world.agent_id
    await admin.post(
        rules_url(world), data={"promise_grace_days": "3", "dispute_sla_days": "2"}, headers=csrf_headers(admin)
    )
    session.expire_all()

    dispute = await record_dispute(
        session,
        scope,
        case_id,
        agent_id,
        reason="quality",
        invoice_numbers=["A-1"],
        channel="call",
        note=None,
        today=date(2026, 12, 4),
    )

    # Friday plus 2 working days is Tuesday.
    assert dispute.sla_due_on == date(2026, 12, 8)
