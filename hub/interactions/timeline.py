"""A case's timeline: its interactions, its debtor's payments and dispute events, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.claims import get_case_in_scope
from hub.cases.models import Case
from hub.disputes.models import Dispute, DisputeInvoice, DisputeStatus
from hub.interactions.models import Direction, Interaction
from hub.invoices.models import Invoice, Payment
from hub.web.templating import format_money


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a case's timeline.

    ``at`` is UTC; ``kind`` is an interaction channel (call, email, sms,
    letter, note), payment or dispute. ``date_only`` marks events known only
    by their day (payments, imported disputes): their ``at`` is 00:00 UTC on
    that day and their time of day means nothing.
    """

    at: datetime
    kind: str
    title: str
    detail: str | None
    user_name: str | None
    date_only: bool = False


def day_start_utc(day: date) -> datetime:
    """Return 00:00 UTC on ``day``, the sort key of an event known only by its day."""
    return datetime.combine(day, time(0), UTC)


def is_day_start(at: datetime) -> bool:
    # NOTE: imported disputes carry only a date and are stored at 00:00:00 UTC;
    # an event logged live at exactly that microsecond would be shown date-only too.
    return at.astimezone(UTC).time() == time(0)


async def _interaction_entries(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    query = (
        select(Interaction, User.display_name)
        .outerjoin(User, User.id == Interaction.user_id)
        .where(Interaction.client_id == case.client_id, Interaction.case_id == case.id)
    )
    return [_interaction_entry(row, name) for row, name in (await session.execute(query))]


def _interaction_entry(interaction: Interaction, user_name: str | None) -> TimelineEntry:
    direction = "Inbound" if interaction.direction == Direction.INBOUND else "Outbound"
    title = f"{direction} {interaction.channel.value}"
    if interaction.outcome is not None:
        title = f"{title}: {interaction.outcome.label}"
    details = [interaction.note] if interaction.note else []
    if interaction.next_action_on is not None:
        details.append(f"Next action on {interaction.next_action_on.isoformat()}")
    detail = "\n".join(details) or None
    return TimelineEntry(interaction.created_at, interaction.channel.value, title, detail, user_name)


async def _payment_entries(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    query = (
        select(Payment, Invoice.number)
        .outerjoin(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.client_id == case.client_id, Payment.debtor_id == case.debtor_id)
    )
    entries = []
    for payment, invoice_number in await session.execute(query):
        title = f"Payment of {format_money(payment.amount_minor, payment.currency)} received"
        detail = f"Against invoice {invoice_number}" if invoice_number else None
        entries.append(TimelineEntry(day_start_utc(payment.paid_on), "payment", title, detail, None, date_only=True))
    return entries


DISPUTE_OUTCOME_TITLES = {
    DisputeStatus.RESOLVED_DEBTOR: "Dispute resolved in the debtor's favour",
    DisputeStatus.RESOLVED_CREDITOR: "Dispute resolved in the client's favour",
}


def _dispute_entry(at: datetime, title: str, detail: str | None) -> TimelineEntry:
    return TimelineEntry(at, "dispute", title, detail, None, date_only=is_day_start(at))


async def _dispute_entries(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    query = (
        select(Dispute, Invoice.number)
        .join(DisputeInvoice, DisputeInvoice.dispute_id == Dispute.id)
        .join(Invoice, Invoice.id == DisputeInvoice.invoice_id)
        .where(Dispute.client_id == case.client_id, Dispute.debtor_id == case.debtor_id)
        .order_by(Dispute.id, Invoice.number)
    )
    numbers: dict[int, list[str]] = {}
    disputes: dict[int, Dispute] = {}
    for dispute, invoice_number in await session.execute(query):
        disputes[dispute.id] = dispute
        numbers.setdefault(dispute.id, []).append(invoice_number)
    entries = []
    for dispute_id, dispute in disputes.items():
        invoices = ", ".join(numbers[dispute_id])
        noun = "invoice" if len(numbers[dispute_id]) == 1 else "invoices"
        title = f"Dispute opened on {noun} {invoices} ({dispute.reason_code})"
        entries.append(_dispute_entry(dispute.opened_at, title, dispute.note))
        if dispute.resolved_at is not None:
            resolved = DISPUTE_OUTCOME_TITLES.get(dispute.status, "Dispute resolved")
            entries.append(_dispute_entry(dispute.resolved_at, f"{resolved} ({noun} {invoices})", None))
    return entries


async def list_timeline(session: AsyncSession, scope: Scope, case_id: int) -> list[TimelineEntry]:
    """Return the case's interactions, its debtor's payments and dispute events, newest first.

    Payments carry only a date, so they sit at 00:00 UTC on that day and are marked ``date_only``.
    """
    case = await get_case_in_scope(session, scope, case_id)

    entries = await _interaction_entries(session, case)
    entries += await _payment_entries(session, case)
    entries += await _dispute_entries(session, case)
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
