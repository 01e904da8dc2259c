"""Finding the debtor a privacy request is about, within the caller's clients."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.errors import NotFoundError
from hub.privacy.models import Erasure


async def get_debtor_in_scope(session: AsyncSession, scope: Scope, debtor_id: int) -> Debtor:
    """Return the debtor if it belongs to a client in ``scope``; otherwise raise NotFoundError."""
    query = select(Debtor).where(Debtor.id == debtor_id, Debtor.client_id.in_(scope.client_ids))
    debtor = await session.scalar(query)
    if debtor is None:
        raise NotFoundError(
            f"debtor {debtor_id} not found: it does not exist or belongs to a client you do not work on"
        )
    return debtor


async def get_debtor_by_reference(session: AsyncSession, client: Client, reference: str) -> Debtor:
    """Return the client's debtor with ``reference`` (the client's own customer key)."""
    query = select(Debtor).where(Debtor.client_id == client.id, Debtor.reference == reference)
    debtor = await session.scalar(query)
    if debtor is None:
        raise NotFoundError(f"debtor {reference!r} not found at client {client.slug!r}: check the reference")
    return debtor


async def get_erasure(session: AsyncSession, debtor: Debtor) -> Erasure | None:
    query = select(Erasure).where(Erasure.client_id == debtor.client_id, Erasure.debtor_id == debtor.id)
    return await session.scalar(query)
