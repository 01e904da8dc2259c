"""API access rules: client scoping, CSRF with bearer tokens versus cookies, audit events, the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.tokens import create_token
from hub.audit.models import AuditEvent
from hub.audit.services import CASE_VIEWED, INTERACTION_CREATED
from hub.cases.models import Case
from hub.interactions.models import Interaction
from tests.factories import World, build_world, csrf_headers, sign_in, web_app

API_PATHS = {
    "/api/v1/me",
    "/api/v1/clients",
    "/api/v1/queues/call",
    "/api/v1/queues/call/next",
    "/api/v1/cases/{case_id}",
    "/api/v1/cases/{case_id}/timeline",
    "/api/v1/cases/{case_id}/outcomes",
    "/api/v1/cases/{case_id}/promises",
    "/api/v1/promises/{promise_id}",
    "/api/v1/promises/{promise_id}/cancel",
    "/api/v1/payments",
    "/api/v1/payments/{payment_id}",
    "/api/v1/cases/{case_id}/disputes",
    "/api/v1/disputes/{dispute_id}",
    "/api/v1/disputes/{dispute_id}/owners",
    "/api/v1/queues/dispute",
}


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


async def _interaction_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Interaction)) or 0


async def _claimed_case_count(session: AsyncSession) -> int:
    query = select(func.count()).select_from(Case).where(Case.claimed_by_id.is_not(None))
    return await session.scalar(query.execution_options(populate_existing=True)) or 0


@pytest.mark.parametrize("suffix", ["", "/timeline"])
async def test_other_clients_case_is_404(client: AsyncTestClient, world: World, token: str, suffix: str) -> None:
    response = await client.get(f"/api/v1/cases/{world.cases['D-900'].id}{suffix}", headers=bearer(token))

    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404
    assert "Stone Retail" not in response.text


async def test_other_clients_outcome_is_404(
    client: AsyncTestClient, session: AsyncSession, world: World, token: str
) -> None:
    path = f"/api/v1/cases/{world.cases['D-900'].id}/outcomes"

    response = await client.post(path, json={"outcome": "voicemail"}, headers=bearer(token))

    assert response.status_code == 404
    assert await _interaction_count(session) == 0


async def test_other_clients_invalid_outcome_is_404(client: AsyncTestClient, world: World, token: str) -> None:
    path = f"/api/v1/cases/{world.cases['D-900'].id}/outcomes"

    response = await client.post(path, json={"outcome": "no-such-code"}, headers=bearer(token))

    assert response.status_code == 404


async def test_missing_case_is_404(client: AsyncTestClient, token: str) -> None:
    response = await client.get("/api/v1/cases/999999", headers=bearer(token))

    assert response.status_code == 404


@pytest.mark.parametrize("method, path", [("GET", "/api/v1/queues/call"), ("POST", "/api/v1/queues/call/next")])
async def test_other_clients_queue_is_404(client: AsyncTestClient, token: str, method: str, path: str) -> None:
    response = await client.request(method, f"{path}?client=globex", headers=bearer(token))

    assert response.status_code == 404
    assert "client 'globex' not found" in response.json()["error"]["message"]


async def test_queue_hides_other_clients_cases(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.get("/api/v1/queues/call", headers=bearer(token))

    assert world.cases["D-900"].id not in [row["case_id"] for row in response.json()]


async def test_admin_token_sees_every_client(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    _, token = await create_token(session, world.admin, "admin")
    await session.commit()

    response = await client.get(f"/api/v1/cases/{world.cases['D-900'].id}", headers=bearer(token))

    assert response.status_code == 200


async def test_bearer_post_needs_no_csrf_token(
    client: AsyncTestClient, session: AsyncSession, world: World, token: str
) -> None:
    path = f"/api/v1/cases/{world.cases['D-200'].id}/outcomes"

    response = await client.post(path, json={"outcome": "voicemail"}, headers=bearer(token))

    assert "csrftoken" not in client.cookies
    assert response.status_code == 201
    assert await _interaction_count(session) == 1


async def test_cookie_only_post_is_rejected(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "agent@acme.test")
    path = f"/api/v1/cases/{world.cases['D-200'].id}/outcomes"

    response = await client.post(path, json={"outcome": "voicemail"})

    assert "hub_session" in client.cookies
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert await _interaction_count(session) == 0


async def test_cookie_with_csrf_still_rejected(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.post("/api/v1/queues/call/next", headers=csrf_headers(client))

    assert response.status_code == 401
    assert await _claimed_case_count(session) == 0


async def test_cookie_only_get_is_rejected(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.get("/api/v1/me", follow_redirects=False)

    assert response.status_code == 401
    assert "location" not in response.headers


async def test_page_post_still_needs_csrf(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "agent@acme.test")

    response = await client.post(f"/cases/{world.cases['D-200'].id}/outcomes", data={"outcome": "voicemail"})

    assert response.status_code == 403
    assert await _interaction_count(session) == 0


async def test_openapi_is_public_json(client: AsyncTestClient) -> None:
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


async def test_openapi_lists_api_paths(client: AsyncTestClient) -> None:
    paths = set((await client.get("/schema/openapi.json")).json()["paths"])

    assert paths == API_PATHS


async def test_openapi_declares_bearer_scheme(client: AsyncTestClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    scheme = document["components"]["securitySchemes"]["BearerToken"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"


async def test_openapi_operations_require_bearer(client: AsyncTestClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    operations = [operation for item in document["paths"].values() for operation in item.values()]
    assert len(operations) == 21
    assert all(operation["security"] == [{"BearerToken": []}] for operation in operations)


async def test_openapi_documents_outcome_body(client: AsyncTestClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()

    operation = document["paths"]["/api/v1/cases/{case_id}/outcomes"]["post"]
    reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert set(schema["properties"]) == {"outcome", "note", "next_action_on", "channel", "next_action_time"} | {
        "paid_on",
        "paid_amount_minor",
        "paid_reference",
    }
    assert "422" in operation["responses"]


async def _audit_events(session: AsyncSession, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list((await session.scalars(query)).all())


@pytest.mark.parametrize("suffix", ["", "/timeline"])
async def test_case_read_is_audited(
    client: AsyncTestClient, session: AsyncSession, world: World, token: str, suffix: str
) -> None:
    case = world.cases["D-100"]

    await client.get(f"/api/v1/cases/{case.id}{suffix}", headers=bearer(token))

    events = await _audit_events(session, CASE_VIEWED)
    assert [(event.user_id, event.target_id, event.client_id) for event in events] == [
        (world.agent.id, case.id, world.client.id)
    ]


async def test_outcome_is_audited(client: AsyncTestClient, session: AsyncSession, world: World, token: str) -> None:
    path = f"/api/v1/cases/{world.cases['D-200'].id}/outcomes"

    response = await client.post(path, json={"outcome": "voicemail"}, headers=bearer(token))

    events = await _audit_events(session, INTERACTION_CREATED)
    assert [(event.user_id, event.target_id) for event in events] == [(world.agent.id, response.json()["id"])]


async def test_other_clients_case_not_audited(
    client: AsyncTestClient, session: AsyncSession, world: World, token: str
) -> None:
    await client.get(f"/api/v1/cases/{world.cases['D-900'].id}", headers=bearer(token))

    assert await _audit_events(session, CASE_VIEWED) == []
