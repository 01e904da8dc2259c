"""Rows for queue, claim and outcome tests, inserted directly so each test states the case it needs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.cases.models import Case, CaseStatus, Segment
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.invoices.models import Invoice

# The day the test portfolios describe, and a moment on it for queue queries.
AS_OF = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
_numbers = count(1)


async def add_client(session: AsyncSession, slug: str = "acme", **fields: object) -> Client:
    values: dict[str, object] = {"name": slug.title(), "currency": "EUR", "as_of_date": AS_OF} | fields
    client = Client(slug=slug, **values)
    session.add(client)
    await session.flush()
    return client


async def add_user(session: AsyncSession, email: str = "agent@example.com", name: str = "Agent") -> User:
    user = User(email=email, display_name=name, password_hash="not-a-real-hash", role=Role.AGENT)
    session.add(user)
    await session.flush()
    return user


async def add_case(
    session: AsyncSession,
    client: Client,
    reference: str | None = None,
    *,
    open_minor: int = 10_000,
    days_past_due: int = 30,
    risk_score: int | None = 50,
    segment: Segment | None = None,
    status: CaseStatus = CaseStatus.OPEN,
    priority: float = 0.0,
    **fields: object,
) -> Case:
    """Insert a debtor with one invoice and its case; the invoice is ``days_past_due`` days overdue on AS_OF."""
    number = next(_numbers)
    debtor = Debtor(client_id=client.id, reference=reference or f"D{number:05d}", name=f"Debtor {number}")
    session.add(debtor)
    await session.flush()
    due_date = date.fromordinal((client.as_of_date or AS_OF).toordinal() - days_past_due)
    session.add(_invoice(client, debtor, f"INV{number:05d}", open_minor, due_date))
    case = Case(
        client_id=client.id,
        debtor_id=debtor.id,
        currency=client.currency,
        status=status,
        open_minor=open_minor,
        oldest_due_date=due_date if open_minor > 0 else None,
        risk_score=risk_score,
        segment=segment,
        priority=priority,
        **fields,
    )
    session.add(case)
    await session.flush()
    return case


def _invoice(client: Client, debtor: Debtor, number: str, open_minor: int, due_date: date) -> Invoice:
    return Invoice(
        client_id=client.id,
        debtor_id=debtor.id,
        number=number,
        currency=client.currency,
        amount_minor=max(open_minor, 1),
        open_minor=open_minor,
        due_date=due_date,
    )
