"""Erasure of a debtor's personal data from the admin page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.models import Role
from hub.accounts.scope import Scope
from hub.audit.models import AuditEvent
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute
from hub.errors import ValidationError
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.invoices.models import Invoice, Payment
from hub.privacy.erasure import ERASED_TEXT, erase_debtor_on_request
from hub.privacy.models import Erasure, ErasureReason
from tests.factories import World, build_world, csrf_headers, new_user, sign_in, web_app

NOTE = "Spoke to Harbour's owner on her mobile"


@pytest.fixture
async def world(session: AsyncSession) -> World:
    world = await build_world(session)
    case = world.cases["D-100"]
    session.add(
        Payment(
            client_id=world.client.id,
            debtor_id=case.debtor_id,
            reference="PAY-7",
            currency="EUR",
            amount_minor=12_345,
            paid_on=date(2026, 5, 4),
        )
    )
    session.add(
        Interaction(
            client_id=world.client.id,
            case_id=case.id,
            user_id=world.agent.id,
            channel=Channel.CALL,
            outcome=CallOutcome.RIGHT_PARTY_CONTACT,
            note=NOTE,
        )
    )
    dispute = await session.scalar(select(Dispute).where(Dispute.debtor_id == case.debtor_id))
    assert dispute is not None
    dispute.note = "Owner says the price was agreed by phone"
    session.add(new_user("super@acme.test", Role.SUPERVISOR, [world.client], "Sue Supervisor"))
    await session.commit()
    return world


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        yield client


def erase_url(world: World, reference: str = "D-100") -> str:
    return f"/debtors/{world.debtors[reference].id}/erase"


async def post_erasure(client: AsyncTestClient, world: World, confirmation: str = "D-100"):  # type: ignore[no-untyped-def]
    await client.get(erase_url(world))
    return await client.post(
        erase_url(world), data={"confirm_reference": confirmation}, headers=csrf_headers(client), follow_redirects=False
    )


async def reload_debtor(session: AsyncSession, world: World) -> Debtor:
    debtor_id = world.debtors["D-100"].id
    session.expire_all()
    return await session.get_one(Debtor, debtor_id)


async def test_erasure_replaces_personal_fields(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await post_erasure(client, world)

    assert response.status_code == 303
    debtor = await reload_debtor(session, world)
    assert debtor.name == ERASED_TEXT
    assert debtor.email is None
    assert debtor.phone is None
    assert debtor.country_code is None
    assert debtor.reference == f"erased-{debtor.id}"


async def test_erasure_replaces_notes(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    await post_erasure(client, world)

    session.expire_all()
    notes = (await session.scalars(select(Interaction.note))).all()
    dispute_notes = (await session.scalars(select(Dispute.note).where(Dispute.note.is_not(None)))).all()
    assert notes == [ERASED_TEXT]
    assert dispute_notes == [ERASED_TEXT]


async def test_erasure_keeps_financial_records(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")
    debtor_id = world.debtors["D-100"].id

    await post_erasure(client, world)

    amounts = (await session.scalars(select(Invoice.amount_minor).where(Invoice.debtor_id == debtor_id))).all()
    payments = (await session.scalars(select(Payment.amount_minor).where(Payment.debtor_id == debtor_id))).all()
    assert sorted(amounts) == [8_000, 25_000, 40_000, 100_000]
    assert payments == [12_345]


async def test_erasure_is_audited(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")
    debtor_id = world.debtors["D-100"].id

    await post_erasure(client, world)

    [event] = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "debtor.erased"))).all()
    assert event.user_id == world.admin.id
    assert event.target_type == "debtor"
    assert event.target_id == debtor_id
    assert event.client_id == world.client.id
    assert event.detail == {"reason": "request", "interaction_notes": 1, "dispute_notes": 1}


async def test_erasure_stores_erasure_record(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    await post_erasure(client, world)

    [erasure] = (await session.scalars(select(Erasure))).all()
    assert erasure.debtor_id == world.debtors["D-100"].id
    assert erasure.user_id == world.admin.id
    assert erasure.reason == ErasureReason.REQUEST


async def test_erasure_wrong_reference_rejected(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await post_erasure(client, world, confirmation="D-200")

    assert response.status_code == 422
    assert "type &#39;D-100&#39; exactly" in response.text
    debtor = await reload_debtor(session, world)
    assert debtor.name == "Harbour Foods Ltd"
    assert (await session.scalars(select(Erasure))).all() == []


async def test_workspace_shows_erased_debtor(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")
    await post_erasure(client, world)

    response = await client.get(f"/cases/{world.cases['D-100'].id}")

    assert response.status_code == 200
    assert ERASED_TEXT in response.text
    assert "Harbour Foods Ltd" not in response.text
    assert NOTE not in response.text


async def test_erasure_twice_shows_message(client: AsyncTestClient, session: AsyncSession, world: World) -> None:
    await sign_in(client, "admin@hub.test")
    await post_erasure(client, world)

    response = await post_erasure(client, world, confirmation="anything")

    assert response.status_code == 200
    assert "was already erased (request); nothing changed" in response.text
    events = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "debtor.erased"))).all()
    assert len(events) == 1


async def test_erase_page_after_erasure(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")
    await post_erasure(client, world)

    response = await client.get(f"{erase_url(world)}?erased=1")

    assert response.status_code == 200
    assert f"Debtor {world.debtors['D-100'].id} erased." in response.text
    assert "Already erased" in response.text
    assert 'name="confirm_reference"' not in response.text


async def test_erase_page_warns_open_invoices(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")

    response = await client.get(erase_url(world))

    assert response.status_code == 200
    assert "still has 3 open invoices" in response.text


async def test_export_after_erasure_has_no_name(client: AsyncTestClient, world: World) -> None:
    await sign_in(client, "admin@hub.test")
    await post_erasure(client, world)

    response = await client.get(f"/debtors/{world.debtors['D-100'].id}/export.json")

    assert response.json()["debtor"]["name"] == ERASED_TEXT
    assert response.json()["erasure"]["reason"] == "request"
    assert "Harbour" not in response.text


@pytest.mark.parametrize("email", ["agent@acme.test", "super@acme.test"])
async def test_erasure_rejects_non_admin(
    client: AsyncTestClient, session: AsyncSession, world: World, email: str
) -> None:
    await sign_in(client, email)
    await client.get("/queues/call")

    response = await client.post(
        erase_url(world), data={"confirm_reference": "D-100"}, headers=csrf_headers(client), follow_redirects=False
    )

    assert response.status_code == 403
    assert (await reload_debtor(session, world)).name == "Harbour Foods Ltd"


async def test_erasure_other_client_not_found(session: AsyncSession, world: World) -> None:
    scope = Scope.for_client(world.client.id, user_id=world.admin.id)

    with pytest.raises(Exception, match="not found"):
        await erase_debtor_on_request(session, scope, world.admin, world.debtors["D-900"].id, "D-900")


async def test_erasure_service_checks_confirmation(session: AsyncSession, world: World) -> None:
    scope = Scope.for_client(world.client.id, user_id=world.admin.id)

    with pytest.raises(ValidationError, match="does not match"):
        await erase_debtor_on_request(session, scope, world.admin, world.debtors["D-100"].id, " d-100 ")
