"""Timeline wording: dispute reason labels, a status only on each record's latest entry, date-only days."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.disputes.models import DISPUTE_REASON_LABELS, DISPUTE_STATUS_LABELS, Dispute, DisputeStatus
from hub.interactions.models import Channel, Interaction
from hub.interactions.timeline import list_timeline
from hub.invoices.models import Invoice, PaymentSource
from hub.payments.services import PaymentData, record_payment
from tests.factories import World, add_dispute, build_world, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def scope_of(world: World) -> Scope:
    return Scope.for_client(world.client.id, user_id=world.agent.id)


async def invoice(session: AsyncSession, world: World, number: str) -> Invoice:
    found = await session.scalar(select(Invoice).where(Invoice.client_id == world.client.id, Invoice.number == number))
    assert found is not None
    return found


async def dispute_titles(session: AsyncSession, world: World) -> list[tuple[str, str | None]]:
    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id, "disputes")
    return [(entry.title, entry.state) for entry in timeline]


# Reason labels


async def test_reason_shows_label(session: AsyncSession, world: World) -> None:
    await add_dispute(session, [await invoice(session, world, "A-1")], reason_code="wrong_amount")
    await session.commit()

    titles = [title for title, _ in await dispute_titles(session, world)]

    label = DISPUTE_REASON_LABELS["wrong_amount"]
    assert f"Dispute opened on invoice A-1 ({label})" in titles
    assert not any("wrong_amount" in title for title in titles)


async def test_unknown_reason_shown_as_stored(session: AsyncSession, world: World) -> None:
    await add_dispute(session, [await invoice(session, world, "A-1")], reason_code="legacy_price_query")
    await session.commit()

    titles = [title for title, _ in await dispute_titles(session, world)]

    assert "Dispute opened on invoice A-1 (legacy_price_query)" in titles


# Status badges


async def test_status_on_latest_entry_only(session: AsyncSession, world: World) -> None:
    dispute = await session.scalar(select(Dispute).where(Dispute.debtor_id == world.debtors["D-100"].id))
    assert dispute is not None
    opened = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    dispute.opened_at = opened + timedelta(hours=9)
    dispute.reviewed_at = opened + timedelta(days=1, hours=9)
    dispute.resolved_at = opened + timedelta(days=2, hours=9)
    dispute.status = DisputeStatus.RESOLVED_DEBTOR
    await session.commit()

    states = [state for _, state in await dispute_titles(session, world)]

    assert states == [DISPUTE_STATUS_LABELS[DisputeStatus.RESOLVED_DEBTOR], None, None]


async def test_review_entry_keeps_its_status(session: AsyncSession, world: World) -> None:
    dispute = await session.scalar(select(Dispute).where(Dispute.debtor_id == world.debtors["D-100"].id))
    assert dispute is not None
    dispute.reviewed_at = dispute.opened_at + timedelta(hours=2)
    dispute.status = DisputeStatus.UNDER_REVIEW
    await session.commit()

    states = [state for _, state in await dispute_titles(session, world)]

    assert states == [DISPUTE_STATUS_LABELS[DisputeStatus.UNDER_REVIEW], None]


async def test_page_shows_no_stale_badge(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    dispute = await session.scalar(select(Dispute).where(Dispute.debtor_id == world.debtors["D-100"].id))
    assert dispute is not None
    dispute.reviewed_at = dispute.opened_at + timedelta(hours=2)
    dispute.resolved_at = dispute.opened_at + timedelta(hours=4)
    dispute.status = DisputeStatus.RESOLVED_DEBTOR
    await session.commit()

    html = (await client.get(f"/cases/{world.cases['D-100'].id}")).text

    review = re.search(r"Dispute under review \(invoice A-2\)(.*?)</span>", html, re.DOTALL)
    assert review is not None
    assert "badge" not in review.group(1)
    assert html.count(DISPUTE_STATUS_LABELS[DisputeStatus.RESOLVED_DEBTOR] + "</span>") >= 1


# Date-only events


async def pay_today(session: AsyncSession, world: World) -> date:
    today = datetime.now(UTC).date()
    data = PaymentData("BANK-T", 1_000, "EUR", today, invoice_number="A-3", debtor_reference="D-100")
    await record_payment(session, world.client, data, PaymentSource.API)
    case = world.cases["D-100"]
    session.add(
        Interaction(
            client_id=case.client_id,
            case_id=case.id,
            user_id=world.agent.id,
            channel=Channel.CALL,
            note="Called about A-3",
            created_at=datetime.now(UTC).replace(microsecond=0),
        )
    )
    await session.commit()
    return today


async def test_payment_day_marked_time_unknown(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    today = await pay_today(session, world)

    html = (await client.get(f"/cases/{world.cases['D-100'].id}")).text

    entry = re.search(r'<li class="timeline-payment">(.*?)</li>', html, re.DOTALL)
    assert entry is not None
    assert f'<time datetime="{today.isoformat()}">{today.isoformat()}</time>, time unknown' in entry.group(1)


async def test_payment_day_after_timed_events(session: AsyncSession, world: World) -> None:
    await pay_today(session, world)

    timeline = await list_timeline(session, scope_of(world), world.cases["D-100"].id)

    kinds = [entry.kind for entry in timeline]
    assert kinds.index("call") < kinds.index("payment")


# The live region


async def test_timeline_is_not_live(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id
    html = (await client.get(f"/cases/{case_id}")).text
    fragment = await client.get(f"/cases/{case_id}/timeline", headers=htmx_headers(client))

    start = html.index('<section id="timeline"')
    section = html[start : html.index("</section>", start)]
    assert "aria-live" not in section
    assert "aria-live" not in fragment.text
    assert re.search(r'<p id="timeline-status" class="visually-hidden" role="status" aria-live="polite">', html)
    assert 'data-status="Timeline updated: 1 event."' in section
