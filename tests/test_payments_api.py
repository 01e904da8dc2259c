"""The payments API under /api/v1: listing, recording, allocating by hand, scoping and error bodies."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.tokens import create_token
from hub.audit.models import AuditEvent
from hub.audit.services import PAYMENT_ALLOCATED, PAYMENT_RECORDED
from hub.invoices.models import Invoice, Payment
from tests.factories import AS_OF, World, build_world, web_app
from tests.test_api_http import free_port, wait_until_started

PAID_ON = AS_OF.isoformat()


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def tokens(session: AsyncSession, world: World) -> dict[str, str]:
    """Bearer tokens: "acme" and "globex" of a supervisor of that client, "agent" of acme's agent, "admin" of all."""
    supervisors = {
        slug: User(
            email=f"supervisor@{slug}.test",
            display_name=f"Supervisor {slug}",
            password_hash=world.agent.password_hash,
            role=Role.SUPERVISOR,
            clients=[client],
        )
        for slug, client in (("acme", world.client), ("globex", world.other_client))
    }
    session.add_all(supervisors.values())
    await session.flush()
    created = {slug: (await create_token(session, user, "payments"))[1] for slug, user in supervisors.items()}
    created["agent"] = (await create_token(session, world.agent, "payments"))[1]
    created["admin"] = (await create_token(session, world.admin, "payments"))[1]
    await session.commit()
    return created


@pytest.fixture
async def api(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def payment_body(reference: str, amount_minor: int, **fields: Any) -> dict[str, Any]:
    """Return a POST body for acme in EUR paid on AS_OF, with ``fields`` added."""
    body = {
        "client": "acme",
        "reference": reference,
        "amount_minor": amount_minor,
        "currency": "EUR",
        "paid_on": PAID_ON,
    }
    return {**body, **fields}


async def open_amounts(session: AsyncSession) -> dict[str, int]:
    query = select(Invoice).execution_options(populate_existing=True)
    return {invoice.number: invoice.open_minor for invoice in await session.scalars(query)}


async def test_post_records_and_allocates(
    api: AsyncTestClient, session: AsyncSession, world: World, tokens: dict[str, str]
) -> None:
    response = await api.post(
        "/api/v1/payments",
        json=payment_body("PAY-1", 110_000, debtor_reference="D-100"),
        headers=bearer(tokens["acme"]),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["client"] == "acme"
    assert body["source"] == "api"
    assert body["debtor_reference"] == "D-100"
    assert body["paid_on"] == PAID_ON
    # A-2 is under dispute and A-4 settled, so the remainder goes from.
    assert body["allocations"] == [
        {"invoice_number": "A-1", "amount_minor": 100_000},
        {"invoice_number": "A-3", "amount_minor": 8_000},
    ]
    assert body["unallocated_minor"] == 2_000
    assert body["unallocated_reason"].startswith("overpayment of €20.00: ")
    opened = await open_amounts(session)
    assert (opened["A-1"], opened["A-2"], opened["A-3"]) == (0, 25_000, 0)
    case = await api.get(f"/api/v1/cases/{world.cases['D-100'].id}", headers=bearer(tokens["acme"]))
    assert case.json()["open_minor"] == 0


async def test_post_same_payment_is_unchanged(
    api: AsyncTestClient, session: AsyncSession, world: World, tokens: dict[str, str]
) -> None:
    body = payment_body("PAY-1", 20_000, invoice_number="A-1")
    first = await api.post("/api/v1/payments", json=body, headers=bearer(tokens["acme"]))

    again = await api.post("/api/v1/payments", json=body, headers=bearer(tokens["acme"]))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (await open_amounts(session))["A-1"] == 80_000
    assert len((await session.scalars(select(Payment).where(Payment.reference == "PAY-1"))).all()) == 1


async def test_post_changed_payment_reallocates(
    api: AsyncTestClient, session: AsyncSession, world: World, tokens: dict[str, str]
) -> None:
    await api.post(
        "/api/v1/payments", json=payment_body("PAY-1", 20_000, invoice_number="A-1"), headers=bearer(tokens["acme"])
    )

    changed = await api.post(
        "/api/v1/payments", json=payment_body("PAY-1", 5_000, invoice_number="A-3"), headers=bearer(tokens["acme"])
    )

    assert changed.status_code == 200
    assert changed.json()["allocations"] == [{"invoice_number": "A-3", "amount_minor": 5_000}]
    opened = await open_amounts(session)
    assert (opened["A-1"], opened["A-3"]) == (100_000, 3_000)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"amount_minor": -5}, "amount_minor", "Amount -5 is not positive"),
        ({"currency": "USD"}, "currency", "Currency 'USD' differs from the currency EUR of client acme"),
        ({"paid_on": "30-11-2026"}, "paid_on", "Invalid payment date '30-11-2026': use YYYY-MM-DD"),
        ({"paid_on": "2999-01-01"}, "paid_on", "is after today"),
        ({"reference": " "}, "reference", "Payment reference is missing"),
        ({"client": ""}, "client", "Client is missing"),
        (
            {"invoice_number": "B-1", "debtor_reference": "D-100"},
            "debtor_reference",
            "contradicts invoice 'B-1', which belongs to debtor 'D-200'",
        ),
    ],
)
async def test_post_invalid_payment_is_422(
    api: AsyncTestClient,
    session: AsyncSession,
    tokens: dict[str, str],
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    body = {**payment_body("PAY-1", 1_000), **fields}

    response = await api.post("/api/v1/payments", json=body, headers=bearer(tokens["acme"]))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["status"] == 422
    assert message in error["fields"][field]
    assert await session.scalar(select(Payment.id)) is None


async def test_post_body_missing_field_is_400(api: AsyncTestClient, tokens: dict[str, str]) -> None:
    body = payment_body("PAY-1", 1_000)
    del body["amount_minor"]

    response = await api.post("/api/v1/payments", json=body, headers=bearer(tokens["acme"]))

    assert response.status_code == 400
    assert "missing required field `amount_minor`" in response.json()["error"]["fields"]["data"]


async def test_post_other_client_is_404(api: AsyncTestClient, session: AsyncSession, tokens: dict[str, str]) -> None:
    response = await api.post(
        "/api/v1/payments",
        json=payment_body("PAY-1", 1_000, client="globex", invoice_number="G-1"),
        headers=bearer(tokens["acme"]),
    )

    assert response.status_code == 404
    assert "client 'globex' not found among the clients you work on" in response.json()["error"]["message"]
    assert await session.scalar(select(Payment.id)) is None


async def test_list_shows_only_scope(api: AsyncTestClient, tokens: dict[str, str]) -> None:
    await api.post(
        "/api/v1/payments", json=payment_body("PAY-A", 1_000, debtor_reference="D-200"), headers=bearer(tokens["acme"])
    )
    await api.post(
        "/api/v1/payments",
        json=payment_body("PAY-G", 2_000, client="globex", debtor_reference="D-900"),
        headers=bearer(tokens["globex"]),
    )

    acme = await api.get("/api/v1/payments", headers=bearer(tokens["acme"]))
    globex = await api.get("/api/v1/payments", headers=bearer(tokens["globex"]))
    admin = await api.get("/api/v1/payments", headers=bearer(tokens["admin"]))
    admin_globex = await api.get("/api/v1/payments", params={"client": "globex"}, headers=bearer(tokens["admin"]))
    refused = await api.get("/api/v1/payments", params={"client": "globex"}, headers=bearer(tokens["acme"]))

    assert [row["reference"] for row in acme.json()] == ["PAY-A"]
    assert [row["reference"] for row in globex.json()] == ["PAY-G"]
    assert sorted(row["reference"] for row in admin.json()) == ["PAY-A", "PAY-G"]
    assert [row["reference"] for row in admin_globex.json()] == ["PAY-G"]
    assert refused.status_code == 404


async def test_list_filters_debtor_and_remainder(api: AsyncTestClient, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["acme"])
    await api.post("/api/v1/payments", json=payment_body("PAY-1", 1_000, debtor_reference="D-200"), headers=headers)
    await api.post("/api/v1/payments", json=payment_body("PAY-2", 9_000, debtor_reference="D-300"), headers=headers)
    await api.post("/api/v1/payments", json=payment_body("PAY-3", 500, invoice_number="X-404"), headers=headers)

    by_debtor = await api.get("/api/v1/payments", params={"debtor": "D-300"}, headers=headers)
    unallocated = await api.get("/api/v1/payments", params={"unallocated": "true"}, headers=headers)
    limited = await api.get("/api/v1/payments", params={"limit": 1}, headers=headers)
    too_many = await api.get("/api/v1/payments", params={"limit": 5000}, headers=headers)

    assert [row["reference"] for row in by_debtor.json()] == ["PAY-2"]
    assert sorted(row["reference"] for row in unallocated.json()) == ["PAY-2", "PAY-3"]
    assert len(limited.json()) == 1
    assert too_many.status_code == 400
    assert "limit" in too_many.json()["error"]["fields"]


async def test_get_other_client_payment_is_404(api: AsyncTestClient, tokens: dict[str, str]) -> None:
    created = await api.post(
        "/api/v1/payments",
        json=payment_body("PAY-G", 2_000, client="globex", debtor_reference="D-900"),
        headers=bearer(tokens["globex"]),
    )
    path = f"/api/v1/payments/{created.json()['id']}"

    own = await api.get(path, headers=bearer(tokens["globex"]))
    other = await api.get(path, headers=bearer(tokens["acme"]))
    patched = await api.patch(path, json={"invoice_number": "A-1"}, headers=bearer(tokens["acme"]))

    assert own.status_code == 200
    assert own.json()["reference"] == "PAY-G"
    assert other.status_code == 404
    assert other.json()["error"]["message"].startswith(f"Payment {created.json()['id']} not found")
    assert patched.status_code == 404


async def test_patch_allocates_remainder(
    api: AsyncTestClient, session: AsyncSession, world: World, tokens: dict[str, str]
) -> None:
    headers = bearer(tokens["acme"])
    created = await api.post(
        "/api/v1/payments", json=payment_body("PAY-1", 30_000, invoice_number="A-404"), headers=headers
    )
    assert created.json()["unallocated_reason"] == "invoice A-404 not found"
    path = f"/api/v1/payments/{created.json()['id']}"

    first = await api.patch(path, json={"invoice_number": "A-2", "amount_minor": 10_000}, headers=headers)
    second = await api.patch(path, json={"invoice_number": "A-2"}, headers=headers)

    assert first.status_code == 200
    assert first.json()["unallocated_minor"] == 20_000
    assert second.status_code == 200
    body = second.json()
    assert body["debtor_reference"] == "D-100"
    assert body["allocations"] == [{"invoice_number": "A-2", "amount_minor": 25_000}]
    assert body["unallocated_minor"] == 5_000
    assert (await open_amounts(session))["A-2"] == 0
    actions = (
        await session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_type == "payment").order_by(AuditEvent.id)
        )
    ).all()
    assert actions == [PAYMENT_RECORDED, PAYMENT_ALLOCATED, PAYMENT_ALLOCATED]


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({"invoice_number": "A-999"}, 422, "invoice_number", "Invoice 'A-999' not found for client acme"),
        ({"invoice_number": "B-1"}, 422, "invoice_number", "belongs to debtor 'D-200', not to debtor 'D-100'"),
        ({"invoice_number": "A-1"}, 422, "invoice_number", "Invoice 'A-1' has nothing left to pay"),
        ({"invoice_number": "A-2", "amount_minor": 7_000}, 422, "amount_minor", "Amount 7000 is outside 1 to 5000"),
        ({"invoice_number": ""}, 422, "invoice_number", "Invoice number is missing"),
    ],
)
async def test_patch_bad_allocation_is_rejected(
    api: AsyncTestClient,
    session: AsyncSession,
    tokens: dict[str, str],
    body: dict[str, Any],
    status: int,
    field: str,
    message: str,
) -> None:
    headers = bearer(tokens["acme"])
    # take 108,000, so 5,000 stays unallocated for debtor D-100.
    created = await api.post(
        "/api/v1/payments", json=payment_body("PAY-1", 113_000, debtor_reference="D-100"), headers=headers
    )
    assert created.json()["unallocated_minor"] == 5_000
    before = await open_amounts(session)

    response = await api.patch(f"/api/v1/payments/{created.json()['id']}", json=body, headers=headers)

    assert response.status_code == status
    assert message in response.json()["error"]["fields"][field]
    assert await open_amounts(session) == before


async def test_patch_without_remainder_is_409(api: AsyncTestClient, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["acme"])
    created = await api.post(
        "/api/v1/payments", json=payment_body("PAY-1", 1_000, invoice_number="A-1"), headers=headers
    )

    response = await api.patch(
        f"/api/v1/payments/{created.json()['id']}", json={"invoice_number": "A-3"}, headers=headers
    )

    assert response.status_code == 409
    assert "has no unallocated remainder" in response.json()["error"]["message"]


async def test_payments_need_token(api: AsyncTestClient) -> None:
    response = await api.get("/api/v1/payments")

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_openapi_lists_payments(api: AsyncTestClient) -> None:
    paths = (await api.get("/schema/openapi.json")).json()["paths"]

    assert set(paths["/api/v1/payments"]) >= {"get", "post"}
    assert set(paths["/api/v1/payments/{payment_id}"]) >= {"get", "patch"}


@pytest.fixture
def live_url(database_url: str, engine: AsyncEngine, world: World, tokens: dict[str, str]) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web_app(database_url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until_started(server)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def test_http_post_then_list(live_url: str, tokens: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=live_url) as http:
        created = await http.post(
            "/api/v1/payments", json=payment_body("PAY-1", 7_500, invoice_number="C-1"), headers=bearer(tokens["acme"])
        )
        listed = await http.get("/api/v1/payments", headers=bearer(tokens["acme"]))
        other = await http.get(f"/api/v1/payments/{created.json()['id']}", headers=bearer(tokens["globex"]))

    assert created.status_code == 201
    assert created.json()["allocations"] == [{"invoice_number": "C-1", "amount_minor": 7_500}]
    assert [row["reference"] for row in listed.json()] == ["PAY-1"]
    assert other.status_code == 404


async def test_agent_reads_but_cannot_record(api: AsyncTestClient, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["agent"])

    created = await api.post("/api/v1/payments", json=payment_body("BANK-AGENT", 10_000), headers=headers)
    allocated = await api.patch("/api/v1/payments/1", json={"invoice_number": "A-1"}, headers=headers)
    listed = await api.get("/api/v1/payments", headers=headers)

    assert created.status_code == 403
    assert "supervisor" in created.json()["error"]["message"]
    assert allocated.status_code == 403
    assert listed.status_code == 200
