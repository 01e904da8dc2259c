"""Bring a client's cases up to date after its invoices, payments or disputes change."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case
from hub.cases.priority import case_priority, priority_context, refresh_priorities
from hub.cases.services import refresh_case_balances
from hub.clients.models import Client
from hub.scoring.service import score_cases


async def refresh_client(session: AsyncSession, client: Client) -> None:
    """Recompute balances, then risk scores, then queue priorities (each step reads the previous one)."""
    await refresh_case_balances(session, client)
    await score_cases(session, client)
    await refresh_priorities(session, client)


async def refresh_debtor_cases(session: AsyncSession, client: Client, debtor_ids: Collection[int]) -> None:
    """Recompute the balances and priorities of the cases of ``debtor_ids`` after one of their records changed.

    Risk scores stay as they are until the next full refresh. The priority of
    each case is set against the client's current largest open case.
    """
    if not debtor_ids:
        return
    await refresh_case_balances(session, client, debtor_ids)
    context = await priority_context(session, client)
    cases = await session.scalars(select(Case).where(Case.client_id == client.id, Case.debtor_id.in_(list(debtor_ids))))
    for case in cases.all():
        case.priority = case_priority(case, context)
    await session.flush()
