"""The dispute queue: open and under-review disputes in scope, the nearest resolve-by day first.

Rows are ordered by sla_due_on, then opened_at, then id; a dispute without
a resolve-by day comes last. SLA states count from today in each client's
time zone: breached once today is after sla_due_on, at risk while at most
AT_RISK_WORKING_DAYS working days are left, and within otherwise.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.disputes.models import OPEN_DISPUTE_STATUSES, Dispute, DisputeInvoice, DisputeReason, DisputeStatus
from hub.disputes.sla import working_days_between
from hub.errors import ValidationError
from hub.invoices.models import Invoice
from hub.text import require_plain_text

AT_RISK_WORKING_DAYS = 2


class SlaState(enum.StrEnum):
    BREACHED = "breached"
    AT_RISK = "at_risk"
    WITHIN = "within"

    @property
    def label(self) -> str:
        return SLA_STATE_LABELS[self]


SLA_STATE_LABELS = {SlaState.BREACHED: "Breached", SlaState.AT_RISK: "At risk", SlaState.WITHIN: "Within SLA"}


REASON_CODES = frozenset(reason.value for reason in DisputeReason)


def reason_label(code: str) -> str:
    """Return the label of a reason code; a code stored by other means is shown as it is."""
    return DisputeReason(code).label if code in REASON_CODES else code


def sla_state(sla_due_on: date | None, today: date) -> SlaState | None:
    """Return the SLA state of a dispute due ``sla_due_on`` on ``today``; None without a resolve-by day."""
    if sla_due_on is None:
        return None
    if today > sla_due_on:
        return SlaState.BREACHED
    if working_days_between(today, sla_due_on) <= AT_RISK_WORKING_DAYS:
        return SlaState.AT_RISK
    return SlaState.WITHIN


def opened_day(opened_at: datetime, timezone: str) -> date:
    """Return the day a dispute was opened, in the client's time zone.

    Imported disputes carry only their opening date, stored as 00:00 UTC on
    that day, so that instant stands for its UTC date in every time zone.
    """
    utc = opened_at.astimezone(UTC)
    if utc.time() == time(0):
        return utc.date()
    return opened_at.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True)
class DisputeQueueEntry:
    """One row of the dispute queue; ``amount_minor`` is what the dispute's invoices have open."""

    dispute_id: int
    reference: str | None
    case_id: int | None
    client_id: int
    client_slug: str
    debtor_id: int
    debtor_reference: str
    debtor_name: str | None
    invoice_numbers: tuple[str, ...]
    amount_minor: int
    currency: str
    reason: str
    status: str
    owner_id: int | None
    owner_name: str | None
    opened_at: datetime
    opened_on: date
    age_working_days: int
    sla_due_on: date | None
    sla_state: str | None
    risk_score: int | None
    priority: float

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason)

    @property
    def status_label(self) -> str:
        return DisputeStatus(self.status).label

    @property
    def sla_label(self) -> str:
        return SlaState(self.sla_state).label if self.sla_state else "No SLA"


@dataclass(frozen=True)
class DisputeQueueCounts:
    """Sizes of the dispute queue under the current filters, in total and per SLA state."""

    total: int
    by_state: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DisputeQueueFilter:
    """The queue's filters: one client, one open status, and the disputes owned by one user."""

    client_id: int | None = None
    status: DisputeStatus | None = None
    owner_id: int | None = None

    def condition(self, scope: Scope) -> ColumnElement[bool]:
        statuses = [self.status] if self.status is not None else list(OPEN_DISPUTE_STATUSES)
        conditions = [Dispute.client_id.in_(scope.client_ids), Dispute.status.in_(statuses)]
        if self.client_id is not None:
            conditions.append(Dispute.client_id == self.client_id)
        if self.owner_id is not None:
            conditions.append(Dispute.owner_id == self.owner_id)
        return and_(*conditions)


def parse_queue_status(value: str | None) -> DisputeStatus | None:
    """Return the open status a queue is filtered on, None for both; raise ValidationError on field ``status``."""
    text = (value or "").strip()
    require_plain_text("status", "Status", text)
    if not text:
        return None
    if text not in {status.value for status in OPEN_DISPUTE_STATUSES}:
        choices = " or ".join(status.value for status in OPEN_DISPUTE_STATUSES)
        message = (
            f"Unknown queue status {text!r}: the dispute queue holds only {choices} disputes, "
            "so use one of those or leave the status out for both."
        )
        raise ValidationError(message, {"status": message})
    return DisputeStatus(text)


def _today_of(client: Client, today: date | None, now: datetime | None) -> date:
    return today if today is not None else client_today(client, now)


async def _invoice_summaries(
    session: AsyncSession, dispute_ids: Sequence[int]
) -> dict[int, tuple[tuple[str, ...], int]]:
    if not dispute_ids:
        return {}
    query = (
        select(DisputeInvoice.dispute_id, Invoice.number, Invoice.open_minor)
        .join(Invoice, Invoice.id == DisputeInvoice.invoice_id)
        .where(DisputeInvoice.dispute_id.in_(list(dispute_ids)))
        .order_by(Invoice.due_date, Invoice.number)
    )
    numbers: dict[int, list[str]] = {}
    amounts: dict[int, int] = {}
    for dispute_id, number, open_minor in await session.execute(query):
        numbers.setdefault(dispute_id, []).append(number)
        amounts[dispute_id] = amounts.get(dispute_id, 0) + max(open_minor, 0)
    return {dispute_id: (tuple(numbers[dispute_id]), amounts[dispute_id]) for dispute_id in numbers}


async def list_dispute_queue(
    session: AsyncSession,
    scope: Scope,
    queue_filter: DisputeQueueFilter | None = None,
    *,
    limit: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> list[DisputeQueueEntry]:
    """Return the open and under-review disputes in ``scope``, ordered by resolve-by day, opening time and id.

    ``today`` overrides each client's own today (tests); ``now`` sets the moment that today is taken at.
    """
    queue_filter = queue_filter or DisputeQueueFilter()
    query = (
        select(Dispute, Debtor, Client, Case, User.display_name)
        .join(Debtor, and_(Debtor.id == Dispute.debtor_id, Debtor.client_id == Dispute.client_id))
        .join(Client, Client.id == Dispute.client_id)
        .outerjoin(Case, and_(Case.client_id == Dispute.client_id, Case.debtor_id == Dispute.debtor_id))
        .outerjoin(User, User.id == Dispute.owner_id)
        .where(queue_filter.condition(scope))
        .order_by(Dispute.sla_due_on.is_(None), Dispute.sla_due_on, Dispute.opened_at, Dispute.id)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    summaries = await _invoice_summaries(session, [row[0].id for row in rows])
    entries = []
    for dispute, debtor, client, case, owner_name in rows:
        numbers, amount = summaries.get(dispute.id, ((), 0))
        client_day = _today_of(client, today, now)
        opened_on = opened_day(dispute.opened_at, client.timezone)
        state = sla_state(dispute.sla_due_on, client_day)
        entries.append(
            DisputeQueueEntry(
                dispute_id=dispute.id,
                reference=dispute.reference,
                case_id=case.id if case is not None else None,
                client_id=client.id,
                client_slug=client.slug,
                debtor_id=debtor.id,
                debtor_reference=debtor.reference,
                debtor_name=debtor.name,
                invoice_numbers=numbers,
                amount_minor=amount,
                currency=case.currency if case is not None else client.currency,
                reason=dispute.reason_code,
                status=DisputeStatus(dispute.status).value,
                owner_id=dispute.owner_id,
                owner_name=owner_name,
                opened_at=dispute.opened_at,
                opened_on=opened_on,
                age_working_days=max(working_days_between(opened_on, client_day), 0),
                sla_due_on=dispute.sla_due_on,
                sla_state=state.value if state is not None else None,
                risk_score=case.risk_score if case is not None else None,
                priority=case.priority if case is not None else 0.0,
            )
        )
    return entries


async def count_dispute_queue(
    session: AsyncSession,
    scope: Scope,
    queue_filter: DisputeQueueFilter | None = None,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> DisputeQueueCounts:
    """Count the disputes the queue lists under ``queue_filter``, in total and per SLA state."""
    queue_filter = queue_filter or DisputeQueueFilter()
    query = (
        select(Client, Dispute.sla_due_on, func.count())
        .join(Client, Client.id == Dispute.client_id)
        .where(queue_filter.condition(scope))
        .group_by(Client.id, Dispute.sla_due_on)
    )
    by_state = {state.value: 0 for state in SlaState}
    total = 0
    for client, sla_due_on, count in await session.execute(query):
        total += count
        state = sla_state(sla_due_on, _today_of(client, today, now))
        if state is not None:
            by_state[state.value] += count
    return DisputeQueueCounts(total=total, by_state=by_state)
