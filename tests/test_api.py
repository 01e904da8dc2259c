"""The JSON API under /api/v1: each endpoint's happy path, bearer authentication and error bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.tokens import INVALID_TOKEN_MESSAGE, create_token, revoke_token
from hub.cases.models import Case
from hub.interactions.models import CallOutcome, Interaction
from tests.factories import AS_OF, World, build_world, web_app


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


def case_path(world: World, reference: str, suffix: str = "") -> str:
    return f"/api/v1/cases/{world.cases[reference].id}{suffix}"


async def test_me_returns_token_user(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.get("/api/v1/me", headers=bearer(token))

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "agent@acme.test"
    assert body["role"] == "agent"
    assert [c["slug"] for c in body["clients"]] == ["acme"]


async def test_clients_lists_assigned_only(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.get("/api/v1/clients", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": world.client.id,
            "slug": "acme",
            "name": "Acme Wholesale",
            "currency": "EUR",
            "timezone": "Europe/Amsterdam",
            "language": "en",
        }
    ]


async def test_queue_lists_in_priority_order(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.get("/api/v1/queues/call", headers=bearer(token))

    assert response.status_code == 200
    rows = response.json()
    assert [row["debtor_reference"] for row in rows] == ["D-100", "D-200", "D-300"]
    assert rows[0] == {
        "case_id": world.cases["D-100"].id,
        "debtor_reference": "D-100",
        "debtor_name": "Harbour Foods Ltd",
        "risk_score": 82,
        "priority": 0.9,
        "open_minor": 108_000,
        "currency": "EUR",
        "days_past_due": 120,
        "segment": "high",
    }


async def test_queue_filters_segment_and_limit(client: AsyncTestClient, world: World, token: str) -> None:
    low = await client.get("/api/v1/queues/call?segment=low", headers=bearer(token))
    limited = await client.get("/api/v1/queues/call?client=acme&limit=2", headers=bearer(token))

    assert [row["debtor_reference"] for row in low.json()] == ["D-300"]
    assert [row["debtor_reference"] for row in limited.json()] == ["D-100", "D-200"]


async def test_queue_unknown_segment_is_422(client: AsyncTestClient, token: str) -> None:
    response = await client.get("/api/v1/queues/call?segment=urgent", headers=bearer(token))

    assert response.status_code == 422
    assert "Unknown segment 'urgent'" in response.json()["error"]["fields"]["segment"]


async def test_queue_limit_out_of_range_is_400(client: AsyncTestClient, token: str) -> None:
    response = await client.get("/api/v1/queues/call?limit=0", headers=bearer(token))

    assert response.status_code == 400
    assert "limit" in response.json()["error"]["fields"]


async def test_case_returns_workspace_data(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.get(case_path(world, "D-100"), headers=bearer(token))

    assert response.status_code == 200
    body = response.json()
    assert body["debtor"]["reference"] == "D-100"
    assert body["debtor"]["name"] == "Harbour Foods Ltd"
    assert body["risk_score"] == 82
    assert body["segment"] == "high"
    assert body["score_source"] == "model"
    assert body["risk_factors"] == ["first reason for 82", "second reason for 82", "third reason for 82"]
    assert body["reference_date"] == AS_OF.isoformat()
    assert body["next_action_on"] is None


async def test_case_lists_open_invoices_with_buckets(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.get(case_path(world, "D-100"), headers=bearer(token))

    invoices = {line["number"]: line for line in response.json()["open_invoices"]}
    assert sorted(invoices) == ["A-1", "A-2", "A-3"]
    assert invoices["A-1"]["aging_bucket"] == "over 90"
    assert invoices["A-2"]["aging_bucket"] == "31-60"
    assert invoices["A-2"]["disputed"] is True
    assert invoices["A-3"]["aging_bucket"] == "current"
    assert invoices["A-1"]["open_minor"] == 100_000


async def test_case_sums_aging_buckets(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.get(case_path(world, "D-100"), headers=bearer(token))

    aging = {total["bucket"]: (total["count"], total["open_minor"]) for total in response.json()["aging"]}
    assert aging == {
        "current": (1, 8_000),
        "1-30": (0, 0),
        "31-60": (1, 25_000),
        "61-90": (0, 0),
        "over 90": (1, 100_000),
    }


async def test_timeline_lists_dispute(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.get(case_path(world, "D-100", "/timeline"), headers=bearer(token))

    assert response.status_code == 200
    entries = response.json()
    assert [entry["kind"] for entry in entries] == ["dispute"]
    assert entries[0]["title"] == "Dispute opened on invoice A-2 (Quality)"


async def test_outcome_is_logged(client: AsyncTestClient, session: AsyncSession, world: World, token: str) -> None:
    next_day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    payload = {"outcome": "promise_to_pay", "note": "Pays Friday", "next_action_on": next_day}

    response = await client.post(case_path(world, "D-200", "/outcomes"), json=payload, headers=bearer(token))

    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "promise_to_pay"
    assert body["next_action_on"] == next_day
    stored = await session.scalar(select(Interaction).where(Interaction.id == body["id"]))
    assert stored is not None
    assert stored.user_id == world.agent.id
    assert stored.outcome == CallOutcome.PROMISE_TO_PAY
    assert stored.note == "Pays Friday"


async def test_outcome_shows_on_timeline(client: AsyncTestClient, world: World, token: str) -> None:
    await client.post(case_path(world, "D-200", "/outcomes"), json={"outcome": "voicemail"}, headers=bearer(token))

    response = await client.get(case_path(world, "D-200", "/timeline"), headers=bearer(token))

    assert response.json()[0]["title"] == "Outbound call: Voicemail"
    assert response.json()[0]["user_name"] == "Alex Agent"


async def test_outcome_missing_date_is_422(client: AsyncTestClient, world: World, token: str) -> None:
    payload = {"outcome": "call_back_requested"}

    response = await client.post(case_path(world, "D-200", "/outcomes"), json=payload, headers=bearer(token))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422
    assert "A next action date is required" in error["fields"]["next_action_on"]


async def test_outcome_unknown_code_is_422(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.post(case_path(world, "D-200", "/outcomes"), json={"outcome": "x"}, headers=bearer(token))

    assert response.status_code == 422
    assert "Unknown call outcome 'x'" in response.json()["error"]["fields"]["outcome"]


async def test_outcome_bad_date_is_422(client: AsyncTestClient, world: World, token: str) -> None:
    payload = {"outcome": "voicemail", "next_action_on": "31-12-2026"}

    response = await client.post(case_path(world, "D-200", "/outcomes"), json=payload, headers=bearer(token))

    assert response.status_code == 422
    assert "use YYYY-MM-DD" in response.json()["error"]["fields"]["next_action_on"]


async def test_outcome_wrong_type_is_400(client: AsyncTestClient, world: World, token: str) -> None:
    payload = {"outcome": "voicemail", "note": 12}

    response = await client.post(case_path(world, "D-200", "/outcomes"), json=payload, headers=bearer(token))

    assert response.status_code == 400
    assert "note" in response.json()["error"]["fields"]


async def test_claim_next_returns_top_case(
    client: AsyncTestClient, session: AsyncSession, world: World, token: str
) -> None:
    response = await client.post("/api/v1/queues/call/next", headers=bearer(token))

    assert response.status_code == 200
    assert response.json()["case_id"] == world.cases["D-100"].id
    case = await session.scalar(
        select(Case).where(Case.id == world.cases["D-100"].id).execution_options(populate_existing=True)
    )
    assert case is not None
    assert case.claimed_by_id == world.agent.id
    assert response.json()["claimed_until"] is not None


async def test_claim_next_filters_segment(client: AsyncTestClient, world: World, token: str) -> None:
    response = await client.post("/api/v1/queues/call/next?segment=low", headers=bearer(token))

    assert response.json()["case_id"] == world.cases["D-300"].id


async def test_claim_next_empty_queue_is_null(client: AsyncTestClient, world: World, token: str) -> None:
    for _ in range(3):
        claimed = (await client.post("/api/v1/queues/call/next", headers=bearer(token))).json()["case_id"]
        await client.post(f"/api/v1/cases/{claimed}/outcomes", json={"outcome": "voicemail"}, headers=bearer(token))

    response = await client.post("/api/v1/queues/call/next", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {"case_id": None, "claimed_until": None}


async def test_missing_token_is_401(client: AsyncTestClient) -> None:
    response = await client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["status"] == 401


async def test_wrong_scheme_is_401(client: AsyncTestClient, token: str) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": f"Basic {token}"})

    assert response.status_code == 401


@pytest.mark.parametrize("bad_token", ["hub_nope", "hub_abcd1234_" + "x" * 43, "garbage"])
async def test_invalid_token_is_401(client: AsyncTestClient, bad_token: str) -> None:
    response = await client.get("/api/v1/me", headers=bearer(bad_token))

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {"error": {"status": 401, "message": INVALID_TOKEN_MESSAGE}}


async def test_revoked_token_is_401(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    record, token = await create_token(session, world.agent, "soon revoked")
    await session.commit()
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 200
    await revoke_token(session, world.agent.id, record.id)
    await session.commit()

    response = await client.get("/api/v1/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["error"]["message"] == INVALID_TOKEN_MESSAGE


async def test_expired_token_is_401(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    created = datetime.now(UTC) - timedelta(days=8)
    _, token = await create_token(session, world.agent, "old", 7, now=created)
    await session.commit()

    response = await client.get("/api/v1/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["error"]["message"] == INVALID_TOKEN_MESSAGE


async def test_unknown_api_path_is_json_404(client: AsyncTestClient, token: str) -> None:
    response = await client.get("/api/v1/nothing-here", headers=bearer(token))

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["status"] == 404


async def test_wrong_method_is_json_405(client: AsyncTestClient, token: str) -> None:
    response = await client.delete("/api/v1/me", headers=bearer(token))

    assert response.status_code == 405
    assert response.json()["error"]["status"] == 405


async def test_page_errors_stay_html(client: AsyncTestClient) -> None:
    response = await client.get("/cases/1", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
