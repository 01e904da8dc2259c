"""The call queue: which cases an agent may work now, in priority order, and atomic claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope

# An agent's claim on a case lapses after this long without an outcome.
CLAIM_TIMEOUT_SECONDS = 15 * 60


@dataclass(frozen=True)
class QueueEntry:
    """One row of the call queue."""

    case_id: int
    client_id: int
    client_slug: str
    debtor_id: int
    debtor_reference: str
    debtor_name: str | None
    risk_score: int | None
    segment: str | None
    priority: float
    open_minor: int
    currency: str
    oldest_due_date: date | None
    days_past_due: int | None
    next_action_on: date | None
    promise_due_on: date | None


@dataclass(frozen=True)
class QueueCounts:
    """Sizes of the call queue: workable now, per segment, claimed by others and scheduled later."""

    total: int
    by_segment: dict[str, int] = field(default_factory=dict)
    claimed: int = 0
    scheduled_later: int = 0


async def list_call_queue(
    session: AsyncSession,
    scope: Scope,
    *,
    client_id: int | None = None,
    segment: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[QueueEntry]:
    raise NotImplementedError


async def count_call_queue(
    session: AsyncSession,
    scope: Scope,
    *,
    client_id: int | None = None,
    segment: str | None = None,
    now: datetime | None = None,
) -> QueueCounts:
    raise NotImplementedError


async def claim_next_case(
    session: AsyncSession,
    scope: Scope,
    user_id: int,
    *,
    client_id: int | None = None,
    segment: str | None = None,
    now: datetime | None = None,
) -> int | None:
    raise NotImplementedError


async def release_claim(session: AsyncSession, scope: Scope, case_id: int, user_id: int) -> None:
    raise NotImplementedError
