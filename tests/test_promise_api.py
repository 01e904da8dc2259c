"""The promise endpoints of the JSON API: create, list, read, cancel, errors and client scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.accounts.tokens import create_token
from hub.cases.priority import client_today
from hub.promises.models import Promise, PromiseStatus
from hub.promises.services import PromiseTerms, record_promise
from tests.factories import World, build_world, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def token(session: AsyncSession, world: World) -> str:
    _, token = await create_token(session, world.agent, "tests")
    await session.commit()
    return token


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def first_day(world: World, days: int = 7) -> date:
    return client_today(world.client) + timedelta(days=days)


def promises_path(world: World, reference: str = "D-100") -> str:
    return f"/api/v1/cases/{world.cases[reference].id}/promises"


async def create(client: AsyncTestClient, world: World, token: str, **fields: object):  # type: ignore[no-untyped-def]
    body: dict[str, object] = {"amount_minor": 30_000, "first_due_on": first_day(world).isoformat()} | fields
    return await client.post(promises_path(world), json=body, headers=bearer(token))


async def promise_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Promise)) or 0


async def globex_promise(session: AsyncSession, world: World) -> Promise:
    scope = Scope.for_client(world.other_client.id, user_id=world.admin.id)
    terms = PromiseTerms(amount_minor=10_000, first_due_on=client_today(world.other_client) + timedelta(days=3))
    return await record_promise(session, scope, world.cases["D-900"].id, world.admin.id, terms)


async def test_create_plan_returns_instalments(client: AsyncTestClient, world: World, token: str) -> None:
    first = first_day(world)
    response = await create(
        client, world, token, instalments=3, frequency="fortnightly", channel="sms", note="Agreed by text"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open"
    assert body["amount_minor"] == 30_000
    assert body["frequency"] == "fortnightly"
    assert body["invoice_numbers"] == ["A-1", "A-3"]
    assert body["interaction_id"] is not None
    assert body["created_by_id"] == world.agent.id
    assert [item["due_on"] for item in body["instalments"]] == [
        (first + timedelta(days=14 * index)).isoformat() for index in range(3)
    ]
    assert [item["amount_minor"] for item in body["instalments"]] == [10_000, 10_000, 10_000]


async def test_list_and_read_promises(client: AsyncTestClient, world: World, token: str) -> None:
    created = (await create(client, world, token)).json()

    listed = await client.get(promises_path(world), headers=bearer(token))
    detail = await client.get(f"/api/v1/promises/{created['id']}", headers=bearer(token))

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [created["id"]]
    assert detail.status_code == 200
    assert detail.json() == created


async def test_explicit_amounts_must_add_up(
    client: AsyncTestClient, world: World, token: str, session: AsyncSession
) -> None:
    response = await create(client, world, token, instalments=2, frequency="monthly", amounts_minor=[10_000, 19_000])

    assert response.status_code == 422
    error = response.json()["error"]
    assert "Instalments add up to €290.00, not the promised €300.00" in error["fields"]["amounts"]
    assert await promise_count(session) == 0


async def test_past_date_rejected(client: AsyncTestClient, world: World, token: str) -> None:
    past = client_today(world.client) - timedelta(days=1)
    response = await create(client, world, token, first_due_on=past.isoformat())

    assert response.status_code == 422
    assert f"{past.isoformat()} is in the past" in response.json()["error"]["fields"]["first_due_on"]


async def test_invalid_date_text_rejected(client: AsyncTestClient, world: World, token: str) -> None:
    response = await create(client, world, token, first_due_on="18-12-2026")

    assert response.status_code == 422
    assert "use YYYY-MM-DD" in response.json()["error"]["fields"]["first_due_on"]


async def test_above_balance_needs_confirmation(
    client: AsyncTestClient, world: World, token: str, session: AsyncSession
) -> None:
    refused = await create(client, world, token, amount_minor=200_000)
    confirmed = await create(client, world, token, amount_minor=200_000, confirm_above_balance=True)

    assert refused.status_code == 422
    assert "confirm_above_balance" in refused.json()["error"]["fields"]
    assert confirmed.status_code == 201
    assert await promise_count(session) == 1


async def test_unknown_invoice_rejected(client: AsyncTestClient, world: World, token: str) -> None:
    response = await create(client, world, token, invoice_numbers=["A-1", "G-1"])

    assert response.status_code == 422
    assert "Invoice 'G-1' is not an open invoice" in response.json()["error"]["fields"]["invoices"]


async def test_cancel_promise(client: AsyncTestClient, world: World, token: str) -> None:
    created = (await create(client, world, token)).json()

    missing_reason = await client.post(f"/api/v1/promises/{created['id']}/cancel", json={}, headers=bearer(token))
    cancelled = await client.post(
        f"/api/v1/promises/{created['id']}/cancel", json={"reason": "Debtor changed plans"}, headers=bearer(token)
    )
    again = await client.post(
        f"/api/v1/promises/{created['id']}/cancel", json={"reason": "Twice"}, headers=bearer(token)
    )

    assert missing_reason.status_code == 422
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert "Debtor changed plans" in cancelled.json()["note"]
    assert again.status_code == 409


async def test_new_promise_replaces_open(client: AsyncTestClient, world: World, token: str) -> None:
    first = (await create(client, world, token)).json()
    second = (await create(client, world, token, amount_minor=20_000)).json()

    listed = (await client.get(promises_path(world), headers=bearer(token))).json()

    assert [item["id"] for item in listed] == [second["id"], first["id"]]
    assert [item["status"] for item in listed] == ["open", "cancelled"]


async def test_other_client_case_is_404(
    client: AsyncTestClient, world: World, token: str, session: AsyncSession
) -> None:
    body = {"amount_minor": 10_000, "first_due_on": first_day(world).isoformat()}

    created = await client.post(promises_path(world, "D-900"), json=body, headers=bearer(token))
    listed = await client.get(promises_path(world, "D-900"), headers=bearer(token))

    assert created.status_code == 404
    assert listed.status_code == 404
    assert await promise_count(session) == 0


async def test_other_client_promise_is_404(
    client: AsyncTestClient, world: World, token: str, session: AsyncSession
) -> None:
    promise = await globex_promise(session, world)

    read = await client.get(f"/api/v1/promises/{promise.id}", headers=bearer(token))
    cancel = await client.post(f"/api/v1/promises/{promise.id}/cancel", json={"reason": "x"}, headers=bearer(token))

    assert read.status_code == 404
    assert cancel.status_code == 404
    await session.refresh(promise)
    assert promise.status == PromiseStatus.OPEN


async def test_requires_token(client: AsyncTestClient, world: World) -> None:
    response = await client.get(promises_path(world))

    assert response.status_code == 401
