"""The call queue: which cases an agent may work now, in priority order, and atomic claims.

A case is workable when it is open, has a collectible balance, its next
action is due (``next_action_on`` empty or on or before today in the
client's time zone) and no other user has an unexpired claim on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case, CaseStatus, Segment
from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.clients.services import reference_date
from hub.debtors.models import Debtor
from hub.errors import NotFoundError, ValidationError

# An agent's claim on a case lapses after this long, so an abandoned case returns to the queue.
CLAIM_TIMEOUT_SECONDS = 15 * 60
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


@dataclass(frozen=True)
class _QueueFilter:
    """The clients a queue query covers, with each one's today, and the optional segment."""

    client_ids: frozenset[int]
    clients_by_id: dict[int, Client]
    today_by_client: dict[int, date]
    segment: Segment | None
    now: datetime

    def narrowed(self, client_id: int | None, segment: str | None) -> _QueueFilter:
        """Return this filter limited to one client of the scope and one segment, when given."""
        if client_id is not None and client_id not in self.client_ids:
            raise NotFoundError(f"client {client_id} not found")
        client_ids = frozenset({client_id}) if client_id is not None else self.client_ids
        return replace(self, client_ids=client_ids, segment=_parse_segment(segment))

    def in_scope(self) -> ColumnElement[bool]:
        return Case.client_id.in_(self.client_ids) if self.client_ids else false()

    def collectible(self) -> ColumnElement[bool]:
        conditions = [self.in_scope(), Case.status == CaseStatus.OPEN, Case.open_minor > 0]
        if self.segment is not None:
            conditions.append(Case.segment == self.segment)
        return and_(*conditions)

    def action_due(self) -> ColumnElement[bool]:
        clients_by_today: dict[date, list[int]] = defaultdict(list)
        for client_id, today in self.today_by_client.items():
            clients_by_today[today].append(client_id)
        due = [and_(Case.client_id.in_(ids), Case.next_action_on <= today) for today, ids in clients_by_today.items()]
        return or_(Case.next_action_on.is_(None), *due)

    def claimed_by_other(self, user_id: int | None) -> ColumnElement[bool]:
        # The IS NOT NULL tests keep this condition true or false, never NULL, so its negation is safe.
        active = and_(Case.claimed_by_id.is_not(None), Case.claimed_until.is_not(None), Case.claimed_until > self.now)
        return active if user_id is None else and_(active, Case.claimed_by_id != user_id)

    def workable(self, user_id: int | None) -> ColumnElement[bool]:
        return and_(self.collectible(), self.action_due(), ~self.claimed_by_other(user_id))


def _utc_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r} given where UTC is required")
    return now.astimezone(UTC)


def _parse_segment(segment: str | None) -> Segment | None:
    if segment is None:
        return None
    try:
        return Segment(segment)
    except ValueError:
        choices = ", ".join(s.value for s in Segment)
        message = f"unknown segment {segment!r}: use one of {choices}"
        raise ValidationError(message, {"segment": message}) from None


async def _queue_filter(session: AsyncSession, scope: Scope, now: datetime | None) -> _QueueFilter:
    moment = _utc_now(now)
    clients = (await session.scalars(select(Client).where(Client.id.in_(scope.client_ids)))).all()
    today_by_client = {client.id: client_today(client, moment) for client in clients}
    clients_by_id = {client.id: client for client in clients}
    return _QueueFilter(scope.client_ids, clients_by_id, today_by_client, None, moment)


def _days_past_due(client: Client, oldest_due_date: date | None) -> int | None:
    if oldest_due_date is None:
        return None
    return max((reference_date(client) - oldest_due_date).days, 0)


def _queue_entry(case: Case, client: Client, debtor: Debtor) -> QueueEntry:
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
    queue_filter = (await _queue_filter(session, scope, now)).narrowed(client_id, segment)
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
    return [_queue_entry(case, queue_filter.clients_by_id[case.client_id], debtor) for case, debtor in rows]


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
    queue_filter = (await _queue_filter(session, scope, now)).narrowed(client_id, segment)
    by_segment = await _count_by_segment(session, queue_filter.workable(scope.user_id))
    due = and_(queue_filter.collectible(), queue_filter.action_due())
    return QueueCounts(
        total=sum(by_segment.values()),
        by_segment=by_segment,
        claimed=await _count(session, and_(due, queue_filter.claimed_by_other(scope.user_id))),
        scheduled_later=await _count(session, and_(queue_filter.collectible(), ~queue_filter.action_due())),
    )


async def _held_claim(session: AsyncSession, queue_filter: _QueueFilter, user_id: int) -> int | None:
    claimed_by_user = and_(
        queue_filter.collectible(),
        queue_filter.action_due(),
        Case.claimed_by_id == user_id,
        Case.claimed_until > queue_filter.now,
    )
    return await session.scalar(select(Case.id).where(claimed_by_user).order_by(Case.priority.desc(), Case.id).limit(1))


async def _extend_claim(session: AsyncSession, case_id: int, user_id: int, until: datetime) -> int | None:
    statement = (
        update(Case)
        .where(Case.id == case_id, Case.claimed_by_id == user_id)
        .values(claimed_until=until)
        .returning(Case.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _claim_top_case(
    session: AsyncSession, queue_filter: _QueueFilter, user_id: int, until: datetime
) -> int | None:
    top = select(Case.id).where(queue_filter.workable(None)).order_by(Case.priority.desc(), Case.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        # SKIP LOCKED lets concurrent claimers step over a row another transaction is
        # claiming, instead of waiting for it and then finding it taken.
        case_id = await session.scalar(top.with_for_update(skip_locked=True))
        if case_id is None:
            return None
        target = Case.id == case_id
    else:
        # SQLite runs one writer at a time, so this single UPDATE picks and claims atomically.
        target = Case.id == top.scalar_subquery()
    statement = (
        update(Case)
        .where(target, ~queue_filter.claimed_by_other(None))
        .values(claimed_by_id=user_id, claimed_until=until)
        .returning(Case.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def claim_next_case(
    session: AsyncSession,
    scope: Scope,
    user_id: int,
    *,
    client_id: int | None = None,
    segment: str | None = None,
    now: datetime | None = None,
) -> int | None:
    """Claim the top workable case for ``user_id`` and commit; return its id, or None when the queue is empty.

    A user who already has an unexpired claim on a due case in ``scope`` gets
    that case back with its claim extended, whatever the client and segment
    filters, so pressing "next" again cannot skip a case. Claims expire after
    CLAIM_TIMEOUT_SECONDS.
    """
    scope_filter = await _queue_filter(session, scope, now)
    queue_filter = scope_filter.narrowed(client_id, segment)
    held_case_id = await _held_claim(session, scope_filter, user_id)
    until = queue_filter.now + timedelta(seconds=CLAIM_TIMEOUT_SECONDS)

    case_id = await _extend_claim(session, held_case_id, user_id, until) if held_case_id is not None else None
    if case_id is None:
        case_id = await _claim_top_case(session, queue_filter, user_id, until)
    await session.commit()
    return case_id


async def get_case_in_scope(session: AsyncSession, scope: Scope, case_id: int, *, for_update: bool = False) -> Case:
    """Return the case, or raise NotFoundError when it does not exist or lies outside ``scope``."""
    query = select(Case).where(Case.id == case_id, Case.client_id.in_(scope.client_ids))
    case = await session.scalar(query.with_for_update() if for_update else query)
    if case is None:
        raise NotFoundError(f"case {case_id} not found")
    return case


async def release_claim(session: AsyncSession, scope: Scope, case_id: int, user_id: int) -> None:
    """Give up ``user_id``'s claim on the case and commit; a claim held by someone else stays."""
    await get_case_in_scope(session, scope, case_id)
    await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.claimed_by_id == user_id)
        .values(claimed_by_id=None, claimed_until=None)
        .execution_options(synchronize_session="fetch")
    )
    await session.commit()
