"""Logging call outcomes and reading a case's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, get_currency_precision
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.cases.priority import client_today, refresh_case_priority
from hub.cases.queue import get_case_in_scope
from hub.clients.models import Client
from hub.disputes.models import Dispute, DisputeStatus
from hub.errors import ValidationError
from hub.interactions.models import CallOutcome, Channel, Direction, Interaction
from hub.invoices.models import Invoice, Payment

NOTE_MAX_CHARS = 2000
# Outcomes that only make sense with an agreed date: the promised payment day or the requested call-back day.
OUTCOMES_NEEDING_DATE = frozenset({CallOutcome.PROMISE_TO_PAY, CallOutcome.CALL_BACK_REQUESTED})


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a case's timeline.

    ``at`` is UTC; ``kind`` is an interaction channel (call, email, sms,
    letter, note), payment or dispute.
    """

    at: datetime
    kind: str
    title: str
    detail: str | None
    user_name: str | None


def _parse_outcome(outcome: str) -> CallOutcome:
    try:
        return CallOutcome(outcome)
    except ValueError:
        choices = ", ".join(o.value for o in CallOutcome)
        message = f"unknown call outcome {outcome!r}: use one of {choices}"
        raise ValidationError(message, {"outcome": message}) from None


def _clean_note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > NOTE_MAX_CHARS:
        message = f"note is {len(text)} characters long: shorten it to at most {NOTE_MAX_CHARS}"
        raise ValidationError(message, {"note": message})
    return text or None


def _next_action_date(outcome: CallOutcome, next_action_on: date | None, today: date) -> date:
    if next_action_on is None and outcome in OUTCOMES_NEEDING_DATE:
        message = f"a next action date is required for outcome {outcome.value!r}: pick today or a later day"
        raise ValidationError(message, {"next_action_on": message})
    if next_action_on is not None and next_action_on < today:
        message = f"next action date {next_action_on.isoformat()} is in the past: pick {today.isoformat()} or later"
        raise ValidationError(message, {"next_action_on": message})
    return next_action_on or today + timedelta(days=1)


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
    """Record an outbound call's outcome, schedule the case's next action, release its claim and commit.

    ``today`` defaults to today in the client's time zone. Without a date the
    next action is tomorrow, except for promise_to_pay and call_back_requested,
    which require one. The case leaves the call queue until that day.
    """
    call_outcome = _parse_outcome(outcome)
    clean_note = _clean_note(note)
    case = await get_case_in_scope(session, scope, case_id, for_update=True)
    client = await session.get_one(Client, case.client_id)
    today = today or client_today(client)
    action_on = _next_action_date(call_outcome, next_action_on, today)

    interaction = Interaction(
        client_id=case.client_id,
        case_id=case.id,
        user_id=user_id,
        channel=Channel.CALL,
        direction=Direction.OUTBOUND,
        outcome=call_outcome,
        note=clean_note,
        next_action_on=action_on,
    )
    session.add(interaction)
    _schedule_case(case, call_outcome, action_on)
    await refresh_case_priority(session, case, today=today)
    await session.commit()
    return interaction


def _schedule_case(case: Case, outcome: CallOutcome, action_on: date) -> None:
    case.next_action_on = action_on
    if outcome == CallOutcome.PROMISE_TO_PAY:
        case.promise_due_on = action_on
    # The outcome ends this piece of work, so the case no longer needs to be held.
    case.claimed_by_id = None
    case.claimed_until = None


def _format_money(amount_minor: int, currency: str) -> str:
    amount = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
    return format_currency(amount, currency, locale="en")


def _start_of_day_utc(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


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


async def _payment_entries(session: AsyncSession, case: Case, client: Client) -> list[TimelineEntry]:
    query = (
        select(Payment, Invoice.number)
        .outerjoin(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.client_id == case.client_id, Payment.debtor_id == case.debtor_id)
    )
    entries = []
    for payment, invoice_number in await session.execute(query):
        at = _start_of_day_utc(payment.paid_on, client.timezone)
        title = f"Payment of {_format_money(payment.amount_minor, payment.currency)} received"
        detail = f"Paid on {payment.paid_on.isoformat()}" + (
            f" against invoice {invoice_number}" if invoice_number else ""
        )
        entries.append(TimelineEntry(at, "payment", title, detail, None))
    return entries


DISPUTE_OUTCOME_TITLES = {
    DisputeStatus.RESOLVED_DEBTOR: "Dispute resolved in the debtor's favour",
    DisputeStatus.RESOLVED_CREDITOR: "Dispute resolved in the client's favour",
}


async def _dispute_entries(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    query = (
        select(Dispute, Invoice.number)
        .join(Invoice, Invoice.id == Dispute.invoice_id)
        .where(Dispute.client_id == case.client_id, Dispute.debtor_id == case.debtor_id)
    )
    entries = []
    for dispute, invoice_number in await session.execute(query):
        title = f"Dispute opened on invoice {invoice_number} ({dispute.reason_code})"
        entries.append(TimelineEntry(dispute.opened_at, "dispute", title, dispute.note, None))
        if dispute.resolved_at is not None:
            resolved = DISPUTE_OUTCOME_TITLES.get(dispute.status, "Dispute resolved")
            entries.append(
                TimelineEntry(dispute.resolved_at, "dispute", f"{resolved} (invoice {invoice_number})", None, None)
            )
    return entries


async def list_timeline(session: AsyncSession, scope: Scope, case_id: int) -> list[TimelineEntry]:
    """Return the case's interactions, its debtor's payments and dispute events, newest first.

    Payments carry only a date, so they sit at the start of that day in the client's time zone.
    """
    case = await get_case_in_scope(session, scope, case_id)
    client = await session.get_one(Client, case.client_id)

    entries = await _interaction_entries(session, case)
    entries += await _payment_entries(session, case, client)
    entries += await _dispute_entries(session, case)
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
