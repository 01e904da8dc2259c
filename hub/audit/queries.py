"""Reading the audit log: filters, pages and the events about one debtor."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.audit.models import AuditEvent
from hub.clients.models import Client

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit log page; None means no filter on that field."""

    user_id: int | None = None
    action: str | None = None
    client_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    target_type: str | None = None
    target_id: int | None = None


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    user_name: str | None
    client_slug: str | None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    page_size: int

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def visible_events(scope: Scope, include_unscoped: bool) -> Any:
    """Condition for events the caller may read: its clients, and client-less events for admins."""
    in_scope = AuditEvent.client_id.in_(scope.client_ids)
    if include_unscoped:
        return or_(in_scope, AuditEvent.client_id.is_(None))
    return in_scope


def _filter_conditions(filters: AuditFilter) -> list[Any]:
    optional = {
        AuditEvent.user_id: filters.user_id,
        AuditEvent.action: filters.action,
        AuditEvent.client_id: filters.client_id,
        AuditEvent.target_type: filters.target_type,
        AuditEvent.target_id: filters.target_id,
    }
    conditions = [column == value for column, value in optional.items() if value is not None]
    if filters.date_from is not None:
        conditions.append(AuditEvent.at >= _start_of_day(filters.date_from))
    if filters.date_to is not None:
        # The range includes the whole last day.
        conditions.append(AuditEvent.at < _start_of_day(filters.date_to + timedelta(days=1)))
    return conditions


def _filtered(query: Select[Any], scope: Scope, filters: AuditFilter, include_unscoped: bool) -> Select[Any]:
    return query.where(visible_events(scope, include_unscoped), *_filter_conditions(filters))


async def list_audit_events(
    session: AsyncSession, scope: Scope, filters: AuditFilter, page: int = 1, *, include_unscoped: bool = False
) -> AuditPage:
    """Return one page of the events the caller may read, newest first."""
    count_query = _filtered(select(func.count(AuditEvent.id)), scope, filters, include_unscoped)
    total = await session.scalar(count_query) or 0
    page = min(max(page, 1), max(1, math.ceil(total / AUDIT_PAGE_SIZE)))

    query = (
        select(AuditEvent, User.display_name, Client.slug)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Client, Client.id == AuditEvent.client_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    )
    result = await session.execute(_filtered(query, scope, filters, include_unscoped))
    rows = [AuditRow(event, user_name, slug) for event, user_name, slug in result]
    return AuditPage(rows, total, page, AUDIT_PAGE_SIZE)


def _about(target_type: str, target_ids: list[int]) -> Any:
    return and_(AuditEvent.target_type == target_type, AuditEvent.target_id.in_(target_ids))


async def list_debtor_events(
    session: AsyncSession, client_id: int, debtor_id: int, case_ids: list[int], interaction_ids: list[int]
) -> list[AuditEvent]:
    """Return the events about a debtor, its case and its interactions, oldest first."""
    about = [_about("debtor", [debtor_id]), _about("case", case_ids), _about("interaction", interaction_ids)]
    query = (
        select(AuditEvent).where(AuditEvent.client_id == client_id, or_(*about)).order_by(AuditEvent.at, AuditEvent.id)
    )
    return list((await session.scalars(query)).all())


async def list_audit_users(session: AsyncSession, scope: Scope, include_unscoped: bool) -> list[User]:
    """Return the users who appear in the events the caller may read, by display name."""
    actors = select(AuditEvent.user_id).where(visible_events(scope, include_unscoped))
    query = select(User).where(User.id.in_(actors)).order_by(User.display_name)
    return list((await session.scalars(query)).all())
