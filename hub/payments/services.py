"""Recording payments, allocating them to invoices, and the cash received in a period."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession


async def cash_received(session: AsyncSession, client_id: int, debtor_id: int | None, start: date, end: date) -> int:
    """Return the minor units received from ``start`` to ``end`` inclusive, for one debtor or the whole client."""
    raise NotImplementedError
