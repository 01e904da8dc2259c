"""The unmatched-inbound retention rule, written for any table of inbound messages.

An inbound message is unmatched while its ``debtor_id`` is empty: the hub
could not tie it to a debtor, so it is personal data with no purpose
after the retention period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class InboundSource:
    """A model of inbound messages with ``client_id``, ``debtor_id`` and a UTC receipt time column."""

    model: Any
    received_at: str = "received_at"


# NOTE: the hub stores no inbound SMS or email yet, so no table is listed
# and the rule removes nothing. Add each inbound message model here when it
# exists; every source needs client_id, debtor_id and received_at columns.
UNMATCHED_INBOUND_SOURCES: tuple[InboundSource, ...] = ()


def _unmatched(source: InboundSource, client_id: int, received_before: datetime) -> list[Any]:
    model = source.model
    return [
        model.client_id == client_id,
        model.debtor_id.is_(None),
        getattr(model, source.received_at) < received_before,
    ]


async def count_unmatched_inbound(
    session: AsyncSession, client_id: int, received_before: datetime, sources: tuple[InboundSource, ...]
) -> int:
    total = 0
    for source in sources:
        query = select(func.count()).select_from(source.model).where(*_unmatched(source, client_id, received_before))
        total += await session.scalar(query) or 0
    return total


async def delete_unmatched_inbound(
    session: AsyncSession, client_id: int, received_before: datetime, sources: tuple[InboundSource, ...]
) -> int:
    """Delete the client's unmatched inbound messages received before ``received_before``; return how many."""
    total = 0
    for source in sources:
        statement = delete(source.model).where(*_unmatched(source, client_id, received_before))
        result = await session.execute(statement.execution_options(synchronize_session=False))
        total += result.rowcount  # type: ignore[attr-defined]
    return total
