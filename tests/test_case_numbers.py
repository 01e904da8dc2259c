"""The case numbers panel: promise kept rate, open disputes and their age, cash received in the last 30 days."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.accounts.tokens import create_token
from hub.cases.numbers import case_numbers
from hub.cases.priority import client_today
from hub.disputes.models import Dispute, DisputeStatus
from hub.invoices.models import Invoice, PaymentSource
from hub.payments.services import PaymentData, record_payment
from hub.promises.services import PromiseTerms, record_promise
from tests.factories import AS_OF, World, add_dispute, build_world, htmx_headers, sign_in, web_app


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


async def _numbers(session: AsyncSession, world: World, reference: str = "D-100"):  # type: ignore[no-untyped-def]
    return await case_numbers(session, world.cases[reference], world.client)


async def _pay(session: AsyncSession, world: World, reference: str, amount: int, paid_on: date) -> None:
    data = PaymentData(reference, amount, "EUR", paid_on, debtor_reference="D-100")
    await record_payment(session, world.client, data, PaymentSource.API)
    await session.commit()


async def _promise_in_past(session: AsyncSession, world: World, amount: int, due_days_ago: int) -> None:
    """Record a promise made a week before its date, which lies ``due_days_ago`` days before today."""
    today = client_today(world.client)
    due_on = today - timedelta(days=due_days_ago)
    scope = Scope.for_client(world.client.id, user_id=world.agent.id)
    terms = PromiseTerms(amount_minor=amount, first_due_on=due_on, invoice_numbers=["A-1"])
    await record_promise(session, scope, world.cases["D-100"].id, world.agent.id, terms, today=due_on - timedelta(7))


# Promises kept


async def test_no_promise_due_yet(session: AsyncSession, world: World) -> None:
    numbers = await _numbers(session, world)

    assert (numbers.kept_minor, numbers.due_minor, numbers.kept_percent) == (0, 0, None)


async def test_kept_rate_from_payments(session: AsyncSession, world: World) -> None:
    await _promise_in_past(session, world, 50_000, due_days_ago=10)
    due_on = client_today(world.client) - timedelta(days=10)
    await _pay(session, world, "BANK-1", 30_000, due_on)

    numbers = await _numbers(session, world)

    assert (numbers.kept_minor, numbers.due_minor, numbers.kept_percent) == (30_000, 50_000, 60)


async def test_promise_in_grace_not_due(session: AsyncSession, world: World) -> None:
    # The client's grace is 3 days, so a promise 2 days past its date is not due yet.
    await _promise_in_past(session, world, 50_000, due_days_ago=2)

    numbers = await _numbers(session, world)

    assert numbers.due_minor == 0
    assert numbers.kept_percent is None


async def test_other_case_promise_not_counted(session: AsyncSession, world: World) -> None:
    await _promise_in_past(session, world, 50_000, due_days_ago=10)

    numbers = await _numbers(session, world, "D-200")

    assert numbers.due_minor == 0


# Disputes


async def _invoice(session: AsyncSession, number: str) -> Invoice:
    invoice = await session.scalar(select(Invoice).where(Invoice.number == number))
    assert invoice is not None
    return invoice


async def _age_world_dispute(session: AsyncSession, world: World, calendar_days: int) -> None:
    dispute = await session.scalar(select(Dispute).where(Dispute.debtor_id == world.debtors["D-100"].id))
    assert dispute is not None
    dispute.opened_at = datetime.now(UTC) - timedelta(days=calendar_days)
    await session.commit()


async def test_open_disputes_and_oldest_age(session: AsyncSession, world: World) -> None:
    # Whole weeks ago always hold five working days each, whatever today's weekday is.
    await _age_world_dispute(session, world, 14)
    await add_dispute(session, [await _invoice(session, "A-3")], opened_at=datetime.now(UTC) - timedelta(days=7))
    await add_dispute(
        session,
        [await _invoice(session, "A-1")],
        status=DisputeStatus.RESOLVED_CREDITOR,
        opened_at=datetime.now(UTC) - timedelta(days=35),
        resolved_at=datetime.now(UTC) - timedelta(days=30),
    )
    await session.commit()

    numbers = await _numbers(session, world)

    assert (numbers.open_disputes, numbers.oldest_dispute_days) == (2, 10)


async def test_dispute_under_review_counts(session: AsyncSession, world: World) -> None:
    await _age_world_dispute(session, world, 7)
    dispute = await session.scalar(select(Dispute))
    assert dispute is not None
    dispute.status = DisputeStatus.UNDER_REVIEW
    await session.commit()

    numbers = await _numbers(session, world)

    assert (numbers.open_disputes, numbers.oldest_dispute_days) == (1, 5)


async def test_no_open_dispute(session: AsyncSession, world: World) -> None:
    numbers = await _numbers(session, world, "D-200")

    assert (numbers.open_disputes, numbers.oldest_dispute_days) == (0, None)


# Cash received


async def test_cash_counts_thirty_days(session: AsyncSession, world: World) -> None:
    # The client's reference day is its as-of date, 2026-11-30, so the window is 2026-11-01 to 2026-11-30.
    for reference, amount, paid_on in (
        ("IN-FIRST", 1_000, date(2026, 11, 1)),
        ("IN-LAST", 2_000, date(2026, 11, 30)),
        ("OUT-BEFORE", 4_000, date(2026, 10, 31)),
        ("OUT-AFTER", 8_000, date(2026, 12, 1)),
    ):
        await _pay(session, world, reference, amount, paid_on)

    numbers = await _numbers(session, world)

    assert (numbers.cash_from, numbers.cash_to) == (date(2026, 11, 1), AS_OF)
    assert numbers.cash_minor == 3_000


# The panel and the API


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine, world: World) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=web_app(database_url), base_url="http://testserver.local") as client:
        await sign_in(client, "agent@acme.test")
        yield client


def panel_text(html: str) -> str:
    start = html.index('<section id="case-numbers"')
    section = html[start : html.index("</section>", start)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).strip()


async def test_panel_without_promises(client: AsyncTestClient, world: World) -> None:
    response = await client.get(f"/cases/{world.cases['D-200'].id}")

    text = panel_text(response.text)
    assert "Promises kept no promise due yet" in text
    assert "Open disputes 0" in text
    assert "Cash, last 30 days €0.00 2026-11-01 to 2026-11-30" in text


async def test_panel_shows_numbers(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await _promise_in_past(session, world, 50_000, due_days_ago=10)
    promised_day = client_today(world.client) - timedelta(days=10)
    await _pay(session, world, "BANK-1", 30_000, promised_day)
    # Paid before the promise was made, so it counts as cash but not toward the promise.
    await _pay(session, world, "BANK-2", 1_500, date(2026, 11, 1))
    await _age_world_dispute(session, world, 7)

    response = await client.get(f"/cases/{world.cases['D-100'].id}")

    text = panel_text(response.text)
    assert "Promises kept 60% €300.00 of €500.00 due" in text
    assert "Open disputes 1 oldest 5 working days" in text
    # The cash window ends on the as-of date, 2026-11-30, while promises count from the real today.
    cash = "€315.00" if promised_day <= AS_OF else "€15.00"
    assert f"Cash, last 30 days {cash} 2026-11-01 to 2026-11-30" in text


async def test_panel_reloads_on_event(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id
    await client.get(f"/cases/{case_id}")

    response = await client.get(f"/cases/{case_id}/numbers", headers=htmx_headers(client, "case-numbers"))

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="case-numbers"')
    assert 'hx-trigger="timeline-changed from:body"' in response.text
    assert f'hx-get="/cases/{case_id}/numbers"' in response.text


async def test_panel_without_htmx_redirects(client: AsyncTestClient, world: World) -> None:
    case_id = world.cases["D-100"].id

    response = await client.get(f"/cases/{case_id}/numbers", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{case_id}#case-numbers"


async def test_panel_other_client_404(client: AsyncTestClient, world: World) -> None:
    await client.get("/queues/call")

    response = await client.get(
        f"/cases/{world.cases['D-900'].id}/numbers", headers=htmx_headers(client, "case-numbers")
    )

    assert response.status_code == 404


async def test_api_case_has_numbers(client: AsyncTestClient, world: World, session: AsyncSession) -> None:
    await _promise_in_past(session, world, 50_000, due_days_ago=10)
    await _pay(session, world, "BANK-1", 30_000, client_today(world.client) - timedelta(days=10))
    await _age_world_dispute(session, world, 14)
    _, token = await create_token(session, world.agent, "numbers")
    await session.commit()

    response = await client.get(
        f"/api/v1/cases/{world.cases['D-100'].id}", headers={"Authorization": f"Bearer {token}"}
    )

    numbers = response.json()["numbers"]
    assert numbers["promise_kept_minor"] == 30_000
    assert numbers["promise_due_minor"] == 50_000
    assert numbers["promise_kept_percent"] == 60
    assert numbers["open_disputes"] == 1
    assert numbers["oldest_dispute_working_days"] == 10
    assert (numbers["cash_from"], numbers["cash_to"]) == ("2026-11-01", "2026-11-30")
