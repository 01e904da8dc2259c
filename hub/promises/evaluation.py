"""Deciding promises from payments: open, kept, partly kept or broken."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from hub.clients.models import Client


async def evaluate_debtor_promises(
    session: AsyncSession, client: Client, debtor_ids: Collection[int], today: date | None = None
) -> None:
    """Re-evaluate every promise of the cases of ``debtor_ids`` against their payments; flush, never commit."""
    raise NotImplementedError


async def kept_rate(session: AsyncSession, client: Client, case_id: int | None = None) -> tuple[int, int]:
    """Return (kept, due) in minor units: promised money paid on time, and promised money past its date plus grace."""
    raise NotImplementedError
