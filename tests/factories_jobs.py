"""A client with one overdue invoice whose case has not been refreshed yet."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.models import Case
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.invoices.models import Invoice


async def seed_case_with_stale_priority(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as session:
        client = Client(slug="acme", name="Acme", currency="EUR", as_of_date=date(2026, 3, 1))
        session.add(client)
        await session.flush()
        debtor = Debtor(client_id=client.id, reference="D-1")
        session.add(debtor)
        await session.flush()
        session.add(
            Invoice(
                client_id=client.id,
                debtor_id=debtor.id,
                number="INV-1",
                currency="EUR",
                amount_minor=12_500,
                open_minor=12_500,
                issue_date=date(2026, 1, 1),
                due_date=date(2026, 1, 31),
            )
        )
        case = Case(client_id=client.id, debtor_id=debtor.id, currency="EUR", open_minor=0, priority=0)
        session.add(case)
        await session.commit()
        return case.id
