"""The base world of tests.factories with what dispute tests add: a second acme agent and invoice lookups.

In the base world acme's debtor D-100 owes A-1 (1,000.00, 120 days past
due), A-2 (250.00, already in an open dispute), A-3 (80.00, not yet due)
and had A-4 settled; D-200 owes B-1. Globex's D-900 owes G-1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.disputes.models import Dispute, DisputeInvoice
from hub.invoices.models import Invoice
from tests.factories import World, build_world, new_user

# A Monday; the dispute SLA of 10 working days from it ends on Monday 2026-12-14.
TODAY = date(2026, 11, 30)


@dataclass
class DisputeWorld:
    base: World
    colleague: User
    outsider: User

    @property
    def client_id(self) -> int:
        return self.base.client.id

    @property
    def agent_id(self) -> int:
        return self.base.agent.id

    @property
    def scope(self) -> Scope:
        return Scope.for_client(self.base.client.id, user_id=self.base.agent.id)

    def case(self, reference: str) -> Case:
        return self.base.cases[reference]


async def build_dispute_world(session: AsyncSession) -> DisputeWorld:
    base = await build_world(session)
    colleague = new_user("second@acme.test", Role.AGENT, [base.client], "Sam Second")
    outsider = new_user("agent@globex.test", Role.AGENT, [base.other_client], "Gil Globex")
    session.add_all([colleague, outsider])
    await session.commit()
    return DisputeWorld(base, colleague, outsider)


async def invoice(session: AsyncSession, number: str) -> Invoice:
    found = await session.scalar(
        select(Invoice).where(Invoice.number == number).execution_options(populate_existing=True)
    )
    assert found is not None, number
    return found


async def fresh_case(session: AsyncSession, case_id: int) -> Case:
    return await session.get_one(Case, case_id, populate_existing=True)


async def fresh_dispute(session: AsyncSession, dispute_id: int) -> Dispute:
    return await session.get_one(Dispute, dispute_id, populate_existing=True)


async def dispute_invoice_numbers(session: AsyncSession, dispute_id: int) -> list[str]:
    query = (
        select(Invoice.number)
        .join(DisputeInvoice, DisputeInvoice.invoice_id == Invoice.id)
        .where(DisputeInvoice.dispute_id == dispute_id)
        .order_by(Invoice.number)
    )
    return list((await session.scalars(query)).all())
