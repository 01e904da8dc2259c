"""Logging call outcomes and reading a case's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.interactions.models import Interaction


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a case's timeline; ``at`` is UTC."""

    at: datetime
    kind: str
    title: str
    detail: str | None
    user_name: str | None


async def log_call_outcome(
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    user_id: int,
    *,
    outcome: str,
    note: str | None,
    next_action_on: date | None,
    today: date | None = None,
) -> Interaction:
    raise NotImplementedError


async def list_timeline(session: AsyncSession, scope: Scope, case_id: int) -> list[TimelineEntry]:
    raise NotImplementedError
