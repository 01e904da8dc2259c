"""Export of everything held on one debtor: JSON, HTML page, scope, audit and CLI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role
from hub.audit.models import AuditEvent
from hub.audit.services import CASE_VIEWED, record_audit
from hub.cli import main
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.invoices.models import Invoice, Payment
from tests.factories import World, build_world, new_user, sign_in, web_app

NOTE = "Debtor asked to call back after the holidays"


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    case = world.cases["D-100"]
    settled = await session.scalar(select(Invoice).where(Invoice.client_id == world.client.id, Invoice.number == "A-4"))
    assert settled is not None
    session.add(
        Payment(
            client_id=world.client.id,
            debtor_id=case.debtor_id,
            invoice_id=settled.id,
            reference="PAY-1",
            currency="EUR",
            amount_minor=40_000,
            paid_on=date(2026, 6, 1),
        )
    )
    session.add(
        Interaction(
            client_id=world.client.id,
            case_id=case.id,
            user_id=world.agent.id,
            channel=Channel.CALL,
            outcome=CallOutcome.CALL_BACK_REQUESTED,
            note=NOTE,
        )
    )
    session.add_all(
        [
            new_user("super@acme.test", Role.SUPERVISOR, [world.client], "Sue Supervisor"),
            new_user("acme-admin@hub.test", Role.ADMIN, [world.client], "Acme Admin"),
        ]
    )
    await record_audit(session, world.agent, CASE_VIEWED, "case", case.id, world.client.id)
    await session.commit()
    return world


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def debtor_id(world: World, reference: str) -> int:
    return world.debtors[reference].id


async def export_json(client: AsyncTestClient, world: World, reference: str = "D-100") -> dict:  # type: ignore[type-arg]
    await sign_in(client, "admin@hub.test")
    response = await client.get(f"/debtors/{debtor_id(world, reference)}/export.json")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_export_json_has_debtor_fields(client: AsyncTestClient, world: World) -> None:
    export = await export_json(client, world)

    assert export["debtor"]["reference"] == "D-100"
    assert export["debtor"]["name"] == "Harbour Foods Ltd"
    assert export["debtor"]["email"] == "ap@example.com"
    assert export["debtor"]["phone"] == "+31201234567"
    assert export["client"]["slug"] == "acme"
    assert export["erasure"] is None


async def test_export_json_has_financial_records(client: AsyncTestClient, world: World) -> None:
    export = await export_json(client, world)

    assert [invoice["number"] for invoice in export["invoices"]] == ["A-4", "A-1", "A-2", "A-3"]
    assert export["invoices"][1]["amount_minor"] == 100_000
    assert [(payment["reference"], payment["amount_minor"]) for payment in export["payments"]] == [("PAY-1", 40_000)]
    assert [dispute["reason_code"] for dispute in export["disputes"]] == ["quality"]


async def test_export_json_has_case_and_interactions(client: AsyncTestClient, world: World) -> None:
    export = await export_json(client, world)

    assert export["case"]["id"] == world.cases["D-100"].id
    assert export["case"]["risk_score"] == 82
    assert export["case"]["segment"] == "high"
    assert len(export["case"]["risk_factors"]) == 3
    assert [interaction["note"] for interaction in export["interactions"]] == [NOTE]
    assert export["interactions"][0]["outcome"] == "call_back_requested"


async def test_export_json_has_audit_events(client: AsyncTestClient, world: World) -> None:
    export = await export_json(client, world)

    actions = [event["action"] for event in export["audit_events"]]
    assert actions == ["case.viewed", "debtor.exported"]


async def test_export_json_is_attachment(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await client.get(f"/debtors/{debtor_id(world, 'D-100')}/export.json")

    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"


async def test_export_is_audited(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await export_json(client, world)

    [event] = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "debtor.exported"))).all()
    assert event.user_id == world.admin.id
    assert event.target_type == "debtor"
    assert event.target_id == debtor_id(world, "D-100")
    assert event.client_id == world.client.id
    assert event.detail == {"format": "json"}


async def test_export_page_is_readable(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await client.get(f"/debtors/{debtor_id(world, 'D-100')}/export")

    assert response.status_code == 200
    assert "Harbour Foods Ltd" in response.text
    assert "€1,000.00" in response.text
    assert NOTE in response.text
    assert f'href="/debtors/{debtor_id(world, "D-100")}/export.json"' in response.text


async def test_export_other_client_not_found(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "acme-admin@hub.test")

    response = await client.get(f"/debtors/{debtor_id(world, 'D-900')}/export.json")

    assert response.status_code == 404


async def test_export_unknown_debtor_not_found(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await client.get("/debtors/999999/export")

    assert response.status_code == 404


@pytest.mark.parametrize("email", ["agent@acme.test", "super@acme.test"])
@pytest.mark.parametrize("path", ["export.json", "export"])
async def test_export_rejects_non_admin(client: AsyncTestClient, world: World, email: str, path: str) -> None:
    await sign_in(client, email)

    response = await client.get(f"/debtors/{debtor_id(world, 'D-100')}/{path}")

    assert response.status_code == 403


def test_cli_export_prints_json(hub_env: dict[str, str], world: World) -> None:
    result = CliRunner().invoke(main, ["debtor", "export", "acme", "D-100"])

    assert result.exit_code == 0, result.output
    export = json.loads(result.output)
    assert export["debtor"]["name"] == "Harbour Foods Ltd"
    assert export["audit_events"][-1]["action"] == "debtor.exported"
    assert export["audit_events"][-1]["user_id"] is None


def test_cli_export_prints_html(hub_env: dict[str, str], world: World) -> None:
    result = CliRunner().invoke(main, ["debtor", "export", "acme", "D-100", "--format", "html"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("<!doctype html>")
    assert "Harbour Foods Ltd" in result.output
    assert NOTE in result.output


def test_cli_export_unknown_reference(hub_env: dict[str, str], world: World) -> None:
    result = CliRunner().invoke(main, ["debtor", "export", "acme", "D-404"])

    assert result.exit_code == 1
    assert "debtor 'D-404' not found at client 'acme'" in result.output
