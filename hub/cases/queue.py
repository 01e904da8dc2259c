"""The call queue: which cases an agent may work now, in priority order, and its counts.

A case is workable when it is open, has a collectible balance, its next
action is due (``next_action_on`` empty or on or before today in the
client's time zone) and no other user has an unexpired claim on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.claims import (
    CLAIM_TIMEOUT_SECONDS,
    Claim,
    ClaimHolder,
    claim_next_case,
    find_claim_holder,
    get_case_in_scope,
    release_claim,
    take_next_claim,
)
from hub.cases.models import Case, Segment
from hub.cases.queue_filter import active_claimer_id, load_queue_filter
from hub.clients.models import Client
from hub.clients.services import reference_date
from hub.debtors.models import Debtor

# Claims live in hub.cases.claims; these names stay importable from here for existing callers.
__all__ = [
    "CLAIM_TIMEOUT_SECONDS",
    "Claim",
    "ClaimHolder",
    "QueueCounts",
    "QueueEntry",
    "claim_next_case",
    "count_call_queue",
    "find_claim_holder",
    "get_case_in_scope",
    "list_call_queue",
    "release_claim",
    "take_next_claim",
]

# Key of QueueCounts.by_segment for cases that have no segment yet.
UNSCORED_SEGMENT = "unscored"


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
    # Whether the debtor has a phone number on file, so the row can offer a call.
    has_phone: bool = False
    # The number on file was marked unusable by a wrong-party outcome.
    phone_unusable: bool = False
    # Id of the user with an unexpired claim on the case, or None.
    claimed_by_id: int | None = None
    # The day a promise on the case was found broken, until an agent logs the next contact.
    broken_promise_on: date | None = None


@dataclass(frozen=True)
class QueueCounts:
    """Sizes of the call queue.

    ``total`` counts workable cases, and ``by_segment`` splits them by
    segment (every segment plus ``unscored``). ``claimed`` counts due cases
    that another user has claimed. ``scheduled_later`` counts cases whose
    next action is after today.
    """

    total: int
    by_segment: dict[str, int] = field(default_factory=dict)
    claimed: int = 0
    scheduled_later: int = 0


def _days_past_due(client: Client, oldest_due_date: date | None) -> int | None:
    if oldest_due_date is None:
        return None
    return max((reference_date(client) - oldest_due_date).days, 0)


def _queue_entry(case: Case, client: Client, debtor: Debtor, now: datetime) -> QueueEntry:
    return QueueEntry(
        case_id=case.id,
        client_id=case.client_id,
        client_slug=client.slug,
        debtor_id=case.debtor_id,
        debtor_reference=debtor.reference,
        debtor_name=debtor.name,
        risk_score=case.risk_score,
        segment=case.segment.value if case.segment is not None else None,
        priority=case.priority,
        open_minor=case.open_minor,
        currency=case.currency,
        oldest_due_date=case.oldest_due_date,
        days_past_due=_days_past_due(client, case.oldest_due_date),
        next_action_on=case.next_action_on,
        promise_due_on=case.promise_due_on,
        has_phone=bool(debtor.phone and debtor.phone.strip()),
        phone_unusable=bool(debtor.phone) and not debtor.phone_usable,
        claimed_by_id=active_claimer_id(case, now),
        broken_promise_on=case.broken_promise_on,
    )


async def list_call_queue(
    session: AsyncSession,
    scope: Scope,
    *,
    client_id: int | None = None,
    segment: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[QueueEntry]:
    """Return the workable cases for ``scope.user_id``, highest priority first, then by case id."""
    queue_filter = (await load_queue_filter(session, scope, now)).narrowed(client_id, segment)
    # Clients come from the filter rather than a join: with a join SQLite may scan
    # client first and then sort the whole queue instead of reading the
    # (client_id, status, priority) index in order.
    query = (
        select(Case, Debtor)
        .join(Debtor, and_(Debtor.id == Case.debtor_id, Debtor.client_id == Case.client_id))
        .where(queue_filter.workable(scope.user_id))
        .order_by(Case.priority.desc(), Case.id)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    clients = queue_filter.clients_by_id
    return [_queue_entry(case, clients[case.client_id], debtor, queue_filter.now) for case, debtor in rows]


async def _count(session: AsyncSession, condition: ColumnElement[bool]) -> int:
    return await session.scalar(select(func.count()).select_from(Case).where(condition)) or 0


async def _count_by_segment(session: AsyncSession, condition: ColumnElement[bool]) -> dict[str, int]:
    counts = {segment.value: 0 for segment in Segment} | {UNSCORED_SEGMENT: 0}
    rows = await session.execute(select(Case.segment, func.count()).where(condition).group_by(Case.segment))
    for segment, count in rows:
        counts[segment.value if segment is not None else UNSCORED_SEGMENT] = count
    return counts


async def count_call_queue(
    session: AsyncSession,
    scope: Scope,
    *,
    client_id: int | None = None,
    segment: str | None = None,
    now: datetime | None = None,
) -> QueueCounts:
    """Count the call queue for ``scope.user_id``, whose own claims count as workable."""
    queue_filter = (await load_queue_filter(session, scope, now)).narrowed(client_id, segment)
    by_segment = await _count_by_segment(session, queue_filter.workable(scope.user_id))
    due = and_(queue_filter.collectible(), queue_filter.action_due())
    return QueueCounts(
        total=sum(by_segment.values()),
        by_segment=by_segment,
        claimed=await _count(session, and_(due, queue_filter.claimed_by_other(scope.user_id))),
        scheduled_later=await _count(session, and_(queue_filter.collectible(), ~queue_filter.action_due())),
    )
