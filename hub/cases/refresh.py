"""Bring a client's cases up to date after its invoices, payments or disputes change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.priority import refresh_priorities
from hub.cases.services import refresh_case_balances
from hub.clients.models import Client
from hub.scoring.service import score_cases


async def refresh_client(session: AsyncSession, client: Client) -> None:
    """Recompute balances, then risk scores, then queue priorities (each step reads the previous one)."""
    await refresh_case_balances(session, client)
    await score_cases(session, client)
    await refresh_priorities(session, client)
