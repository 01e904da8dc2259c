"""The SQL conditions of the call queue: which cases are in scope, collectible, due and unclaimed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case, CaseStatus, Segment
from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.errors import NotFoundError, ValidationError


@dataclass(frozen=True)
class QueueFilter:
    """The clients a queue query covers, with each one's today, and the optional segment."""

    client_ids: frozenset[int]
    clients_by_id: dict[int, Client]
    today_by_client: dict[int, date]
    segment: Segment | None
    now: datetime

    def narrowed(self, client_id: int | None, segment: str | None) -> QueueFilter:
        """Return this filter limited to one client of the scope and one segment, when given."""
        if client_id is not None and client_id not in self.client_ids:
            raise NotFoundError(f"Client {client_id} not found among the clients you work on.")
        client_ids = frozenset({client_id}) if client_id is not None else self.client_ids
        return replace(self, client_ids=client_ids, segment=parse_segment(segment))

    def in_scope(self) -> ColumnElement[bool]:
        return Case.client_id.in_(self.client_ids) if self.client_ids else false()

    def collectible(self) -> ColumnElement[bool]:
        conditions = [self.in_scope(), Case.status == CaseStatus.OPEN, Case.open_minor > 0]
        if self.segment is not None:
            conditions.append(Case.segment == self.segment)
        return and_(*conditions)

    def action_due(self) -> ColumnElement[bool]:
        """Cases whose next action is due at ``now``.

        A call-back agreed for a time of day (``next_action_at`` set) is due once
        that instant has passed, whatever the client's calendar day is, because
        the debtor's time zone may differ from the client's. Otherwise the case is
        due from the start of ``next_action_on`` in the client's time zone. Every
        branch tests for NULL first, so the condition is never NULL and its
        negation is safe.
        """
        clients_by_today: dict[date, list[int]] = defaultdict(list)
        for client_id, today in self.today_by_client.items():
            clients_by_today[today].append(client_id)
        due = [and_(Case.client_id.in_(ids), Case.next_action_on <= today) for today, ids in clients_by_today.items()]
        timed = and_(Case.next_action_at.is_not(None), Case.next_action_at <= self.now)
        dated = and_(Case.next_action_at.is_(None), or_(Case.next_action_on.is_(None), *due))
        return or_(timed, dated)

    def claimed_by_other(self, user_id: int | None) -> ColumnElement[bool]:
        # The IS NOT NULL tests keep this condition true or false, never NULL, so its negation is safe.
        active = and_(Case.claimed_by_id.is_not(None), Case.claimed_until.is_not(None), Case.claimed_until > self.now)
        return active if user_id is None else and_(active, Case.claimed_by_id != user_id)

    def claimed_by(self, user_id: int) -> ColumnElement[bool]:
        return and_(self.in_scope(), Case.claimed_by_id == user_id, Case.claimed_until > self.now)

    def workable(self, user_id: int | None) -> ColumnElement[bool]:
        return and_(self.collectible(), self.action_due(), ~self.claimed_by_other(user_id))


def active_claimer_id(case: Case, now: datetime) -> int | None:
    """Return the user holding an unexpired claim on ``case`` at ``now``, or None."""
    if case.claimed_until is None or case.claimed_until <= now:
        return None
    return case.claimed_by_id


def utc_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r} given where UTC is required")
    return now.astimezone(UTC)


def parse_segment(segment: str | None) -> Segment | None:
    if segment is None:
        return None
    try:
        return Segment(segment)
    except ValueError:
        choices = ", ".join(s.value for s in Segment)
        message = f"Unknown segment {segment!r}: use one of {choices}."
        raise ValidationError(message, {"segment": message}) from None


async def load_queue_filter(session: AsyncSession, scope: Scope, now: datetime | None) -> QueueFilter:
    moment = utc_now(now)
    clients = (await session.scalars(select(Client).where(Client.id.in_(scope.client_ids)))).all()
    today_by_client = {client.id: client_today(client, moment) for client in clients}
    clients_by_id = {client.id: client for client in clients}
    return QueueFilter(scope.client_ids, clients_by_id, today_by_client, None, moment)
