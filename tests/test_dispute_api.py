"""The disputes API: recording, reading and changing disputes, the dispute queue, and client scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.tokens import create_token
from hub.cases.priority import client_today
from hub.disputes.models import Dispute, DisputeStatus
from hub.interactions.models import CallOutcome, Interaction
from tests.dispute_factories import DisputeWorld, build_dispute_world, fresh_case, fresh_dispute, invoice
from tests.factories import add_dispute, web_app


@pytest.fixture
async def world(session: AsyncSession) -> DisputeWorld:
    return await build_dispute_world(session)


@pytest.fixture
async def tokens(session: AsyncSession, world: DisputeWorld) -> dict[str, str]:
    _, agent = await create_token(session, world.base.agent, "tests")
    _, outsider = await create_token(session, world.outsider, "tests")
    await session.commit()
    return {"agent": agent, "outsider": outsider}


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: DisputeWorld) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def disputes_path(world: DisputeWorld, reference: str) -> str:
    return f"/api/v1/cases/{world.case(reference).id}/disputes"


async def _dispute_on(session: AsyncSession, numbers: list[str], sla_due_on: date, **fields: object) -> Dispute:
    invoices = [await invoice(session, number) for number in numbers]
    opened = datetime.combine(date(2026, 11, 20), time(9), UTC)
    dispute = await add_dispute(session, invoices, opened_at=opened, sla_due_on=sla_due_on, **fields)
    await session.commit()
    return dispute


async def test_create_dispute_returns_it(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    body = {"reason": "wrong_amount", "invoice_numbers": ["A-3", "A-1"], "channel": "email", "note": "Price differs"}

    response = await client.post(disputes_path(world, "D-100"), json=body, headers=bearer(tokens["agent"]))

    assert response.status_code == 201
    created = response.json()
    assert created["reason"] == "wrong_amount"
    assert created["status"] == "open"
    assert created["owner_id"] == world.agent_id
    assert created["owner_name"] == "Alex Agent"
    assert created["case_id"] == world.case("D-100").id
    assert [item["number"] for item in created["invoices"]] == ["A-1", "A-3"]
    assert created["open_minor"] == 100_000 + 8_000
    assert created["sla_state"] in {"within", "at_risk"}
    interaction = await session.get_one(Interaction, created["interaction_id"])
    assert interaction.outcome == CallOutcome.DISPUTES_DEBT
    assert (await fresh_case(session, world.case("D-100").id)).open_minor == 0


async def test_create_on_disputed_invoice_422(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str]
) -> None:
    body = {"reason": "quality", "invoice_numbers": ["A-2"]}

    response = await client.post(disputes_path(world, "D-100"), json=body, headers=bearer(tokens["agent"]))

    error = response.json()["error"]
    assert response.status_code == 422
    assert "Invoice A-2 is already in open dispute" in error["fields"]["invoices"]


async def test_create_unknown_reason_422(client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str]) -> None:
    body = {"reason": "grumpy", "invoice_numbers": ["A-1"]}

    response = await client.post(disputes_path(world, "D-100"), json=body, headers=bearer(tokens["agent"]))

    assert response.status_code == 422
    assert "Unknown dispute reason 'grumpy'" in response.json()["error"]["fields"]["reason"]


async def test_create_missing_field_400(client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str]) -> None:
    response = await client.post(
        disputes_path(world, "D-100"), json={"reason": "quality"}, headers=bearer(tokens["agent"])
    )

    assert response.status_code == 400


async def test_list_case_disputes(client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str]) -> None:
    response = await client.get(disputes_path(world, "D-100"), headers=bearer(tokens["agent"]))

    listed = response.json()
    assert response.status_code == 200
    assert [[item["number"] for item in dispute["invoices"]] for dispute in listed] == [["A-2"]]
    assert listed[0]["reason"] == "quality"


async def test_get_dispute(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2020, 1, 6), note="Old one")

    response = await client.get(f"/api/v1/disputes/{dispute.id}", headers=bearer(tokens["agent"]))

    body = response.json()
    assert response.status_code == 200
    assert body["id"] == dispute.id
    assert body["note"] == "Old one"
    assert body["sla_due_on"] == "2020-01-06"
    assert body["sla_state"] == "breached"
    assert body["opened_on"] == "2026-11-20"


async def test_patch_review_then_resolve(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-3", "A-1"], date(2099, 1, 5))
    path = f"/api/v1/disputes/{dispute.id}"

    reviewed = await client.patch(path, json={"status": "under_review"}, headers=bearer(tokens["agent"]))
    resolved = await client.patch(
        path,
        json={"status": "resolved_debtor", "credit_minor": 100_500, "resolution_note": "Credit note sent"},
        headers=bearer(tokens["agent"]),
    )

    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "under_review"
    assert reviewed.json()["reviewed_at"] is not None
    body = resolved.json()
    assert resolved.status_code == 200
    assert body["status"] == "resolved_debtor"
    assert body["credited_minor"] == 100_500
    assert body["resolution_note"] == "Credit note sent"
    assert body["resolved_by_id"] == world.agent_id
    assert body["sla_state"] is None
    credits = {item["number"]: item["credited_minor"] for item in body["invoices"]}
    assert credits == {"A-1": 100_000, "A-3": 500}


async def test_patch_resolved_is_409(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5), status=DisputeStatus.RESOLVED_CREDITOR)

    response = await client.patch(
        f"/api/v1/disputes/{dispute.id}", json={"status": "under_review"}, headers=bearer(tokens["agent"])
    )

    assert response.status_code == 409
    assert "already resolved for the creditor" in response.json()["error"]["message"]


async def test_patch_creditor_resumes_case(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    body = {"reason": "quality", "invoice_numbers": ["A-1"]}
    created = await client.post(disputes_path(world, "D-100"), json=body, headers=bearer(tokens["agent"]))
    case_id = world.case("D-100").id
    # A-2 is disputed in the base world and A-1 now too, so only A-3 (80.00) is collectible.
    assert (await fresh_case(session, case_id)).open_minor == 8_000

    response = await client.patch(
        f"/api/v1/disputes/{created.json()['id']}",
        json={"status": "resolved_creditor", "resolution_note": "Delivery note signed"},
        headers=bearer(tokens["agent"]),
    )

    case = await fresh_case(session, case_id)
    assert response.status_code == 200
    assert case.open_minor == 8_000 + 100_000
    assert case.next_action_on == client_today(world.base.client)


async def test_patch_owner(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))

    response = await client.patch(
        f"/api/v1/disputes/{dispute.id}", json={"owner_id": world.colleague.id}, headers=bearer(tokens["agent"])
    )
    refused = await client.patch(
        f"/api/v1/disputes/{dispute.id}", json={"owner_id": world.outsider.id}, headers=bearer(tokens["agent"])
    )

    assert response.status_code == 200
    assert response.json()["owner_name"] == "Sam Second"
    assert refused.status_code == 422
    assert "owner" in refused.json()["error"]["fields"]


async def test_patch_unknown_status_422(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))

    response = await client.patch(
        f"/api/v1/disputes/{dispute.id}", json={"status": "closed"}, headers=bearer(tokens["agent"])
    )

    assert response.status_code == 422
    assert "Unknown dispute status 'closed'" in response.json()["error"]["fields"]["status"]


async def test_queue_order_and_keys(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    later = await _dispute_on(session, ["A-1"], date(2099, 1, 5), owner_id=world.agent_id)
    sooner = await _dispute_on(session, ["B-1"], date(2020, 1, 6))

    response = await client.get("/api/v1/queues/dispute", headers=bearer(tokens["agent"]))
    mine = await client.get("/api/v1/queues/dispute?mine=true", headers=bearer(tokens["agent"]))

    rows = response.json()
    assert response.status_code == 200
    assert [row["dispute_id"] for row in rows[:2]] == [sooner.id, later.id]
    assert rows[0]["sla_state"] == "breached"
    assert rows[0]["debtor_reference"] == "D-200"
    assert rows[0]["open_minor"] == 50_000
    assert [row["dispute_id"] for row in mine.json()] == [later.id]


async def test_queue_bad_status_422(client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str]) -> None:
    response = await client.get("/api/v1/queues/dispute?status=resolved_debtor", headers=bearer(tokens["agent"]))

    assert response.status_code == 422


async def test_other_client_token_sees_nothing(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))
    headers = bearer(tokens["outsider"])

    detail = await client.get(f"/api/v1/disputes/{dispute.id}", headers=headers)
    listed = await client.get(disputes_path(world, "D-100"), headers=headers)
    changed = await client.patch(f"/api/v1/disputes/{dispute.id}", json={"status": "under_review"}, headers=headers)
    created = await client.post(
        disputes_path(world, "D-100"), json={"reason": "quality", "invoice_numbers": ["A-3"]}, headers=headers
    )
    queue = await client.get("/api/v1/queues/dispute", headers=headers)
    acme_queue = await client.get("/api/v1/queues/dispute?client=acme", headers=headers)

    assert detail.status_code == 404
    assert listed.status_code == 404
    assert changed.status_code == 404
    assert created.status_code == 404
    assert dispute.id not in [row["dispute_id"] for row in queue.json()]
    assert acme_queue.status_code == 404
    stored = await session.scalar(
        select(Dispute.status).where(Dispute.id == dispute.id).execution_options(populate_existing=True)
    )
    assert stored == DisputeStatus.OPEN


async def test_disputes_need_token(client: AsyncTestClient, world: DisputeWorld) -> None:
    response = await client.get("/api/v1/queues/dispute")

    assert response.status_code == 401


async def test_openapi_lists_dispute_paths(client: AsyncTestClient) -> None:
    response = await client.get("/schema/openapi.json")

    paths = response.json()["paths"]
    assert set(paths["/api/v1/disputes/{dispute_id}"]) >= {"get", "patch"}
    assert set(paths["/api/v1/cases/{case_id}/disputes"]) >= {"get", "post"}
    assert "get" in paths["/api/v1/queues/dispute"]


async def test_patch_unknown_field_400(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5), owner_id=world.agent_id)

    response = await client.patch(
        f"/api/v1/disputes/{dispute.id}", json={"owner": "x"}, headers=bearer(tokens["agent"])
    )

    error = response.json()["error"]
    assert response.status_code == 400
    assert "Unknown field 'owner'" in error["fields"]["owner"]
    for accepted in ("status", "owner_id", "resolution_note", "credit_minor"):
        assert accepted in error["fields"]["owner"]
    assert "owner" in error["message"]
    assert (await fresh_dispute(session, dispute.id)).owner_id == world.agent_id


async def test_patch_mixed_unknown_field_rejected(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))

    response = await client.patch(
        f"/api/v1/disputes/{dispute.id}",
        json={"status": "under_review", "credit": 100},
        headers=bearer(tokens["agent"]),
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"credit"}
    assert (await fresh_dispute(session, dispute.id)).status == DisputeStatus.OPEN


async def test_create_unknown_field_400(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    body = {"reason": "quality", "invoice_numbers": ["A-1"], "invoices": ["A-3"]}

    response = await client.post(disputes_path(world, "D-100"), json=body, headers=bearer(tokens["agent"]))

    fields = response.json()["error"]["fields"]
    assert response.status_code == 400
    assert "Unknown field 'invoices'" in fields["invoices"]
    assert "invoice_numbers" in fields["invoices"]
    stored = await session.scalars(select(Dispute).execution_options(populate_existing=True))
    assert len(stored.all()) == 1


async def test_owners_lists_client_users(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))

    response = await client.get(f"/api/v1/disputes/{dispute.id}/owners", headers=bearer(tokens["agent"]))
    hidden = await client.get(f"/api/v1/disputes/{dispute.id}/owners", headers=bearer(tokens["outsider"]))

    assert response.status_code == 200
    listed = {row["id"]: row for row in response.json()}
    assert world.outsider.id not in listed
    assert listed[world.colleague.id] == {"id": world.colleague.id, "display_name": "Sam Second", "role": "agent"}
    assert listed[world.agent_id]["display_name"] == "Alex Agent"
    assert listed[world.base.admin.id]["role"] == "admin"
    assert hidden.status_code == 404


async def test_patch_bad_owner_names_owners_path(
    client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str], session: AsyncSession
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))

    response = await client.patch(
        f"/api/v1/disputes/{dispute.id}", json={"owner_id": world.outsider.id}, headers=bearer(tokens["agent"])
    )

    assert response.status_code == 422
    assert f"/api/v1/disputes/{dispute.id}/owners" in response.json()["error"]["fields"]["owner"]


@pytest.mark.parametrize("status", ["resolved_debtor", "resolved_creditor"])
@pytest.mark.parametrize("note", [None, "", "   "])
async def test_patch_resolve_needs_a_note(
    client: AsyncTestClient,
    world: DisputeWorld,
    tokens: dict[str, str],
    session: AsyncSession,
    status: str,
    note: str | None,
) -> None:
    dispute = await _dispute_on(session, ["A-1"], date(2099, 1, 5))
    body: dict[str, object] = {"status": status}
    if note is not None:
        body["resolution_note"] = note

    response = await client.patch(f"/api/v1/disputes/{dispute.id}", json=body, headers=bearer(tokens["agent"]))

    assert response.status_code == 422
    assert "resolution note" in response.json()["error"]["fields"]["resolution_note"].lower()
    stored = await fresh_dispute(session, dispute.id)
    assert stored.status == DisputeStatus.OPEN
    assert (await invoice(session, "A-1")).credited_minor == 0


async def test_queue_closed_status_422(client: AsyncTestClient, world: DisputeWorld, tokens: dict[str, str]) -> None:
    for value in ("closed", "resolved_debtor"):
        response = await client.get(f"/api/v1/queues/dispute?status={value}", headers=bearer(tokens["agent"]))

        message = response.json()["error"]["fields"]["status"]
        assert response.status_code == 422
        assert f"{value!r}" in message
        assert "open or under_review" in message
        assert "resolved_creditor" not in message
