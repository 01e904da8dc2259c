"""A case's timeline: contacts, promises, disputes, payments and payment checks in one list, newest first.

The list can be narrowed to one kind of event (TIMELINE_FILTERS). The web page
and GET /api/v1/cases/{id}/timeline take the filter as ``?kind=``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.claims import get_case_in_scope
from hub.cases.models import Case
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeInvoice, DisputeReason, DisputeStatus
from hub.errors import ValidationError
from hub.interactions.callback import contact_zone_name
from hub.interactions.models import CallOutcome, Channel, Direction, Interaction
from hub.invoices.models import Invoice, Payment, PaymentAllocation, PaymentSource
from hub.payments.models import PaymentCheck, PaymentCheckStatus
from hub.promises.models import Promise, PromiseInstalment, PromiseInvoice, PromiseStatus
from hub.web.templating import format_money

# Filter name -> the entry kinds it shows. The "all" filter shows every kind.
TIMELINE_FILTERS: dict[str, frozenset[str]] = {
    "all": frozenset(),
    "calls": frozenset({Channel.CALL.value}),
    "messages": frozenset({Channel.EMAIL.value, Channel.SMS.value, Channel.LETTER.value}),
    "notes": frozenset({Channel.NOTE.value}),
    "promises": frozenset({"promise"}),
    "disputes": frozenset({"dispute"}),
    "payments": frozenset({"payment", "payment_check"}),
}
TIMELINE_FILTER_LABELS = {
    "all": "All",
    "calls": "Calls",
    "messages": "Messages",
    "notes": "Notes",
    "promises": "Promises",
    "disputes": "Disputes",
    "payments": "Payments",
}
DEFAULT_FILTER = "all"
# The one label of each channel in forms and lists (keys are Channel members, which equal their values).
CHANNEL_LABELS = {
    Channel.CALL: "Call",
    Channel.EMAIL: "Email",
    Channel.SMS: "SMS",
    Channel.LETTER: "Letter",
    Channel.NOTE: "Note",
}
INTERACTION_KINDS = frozenset(channel.value for channel in Channel)


class TimelineFilterError(ValidationError):
    """An unknown ``kind`` filter, which is a bad request (400) rather than a form error."""

    status_code = 400


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a case's timeline.

    ``at`` is UTC; ``kind`` is an interaction channel (call, email, sms,
    letter, note), promise, dispute, payment or payment_check. ``date_only``
    marks events known only by their day (payments, imported disputes): their
    ``at`` is 00:00 UTC on that day and their time of day means nothing.
    ``state`` is the current status of the promise, dispute or payment check
    the entry belongs to, set on that record's latest entry only, so an
    earlier event never shows a status it did not have then.
    """

    at: datetime
    kind: str
    title: str
    detail: str | None
    user_name: str | None
    date_only: bool = False
    state: str | None = None


class Timeline(list[TimelineEntry]):
    """Timeline entries, newest first, with the case and the filter they were listed for.

    The template templates/cases/_timeline.html reads ``case_id``, ``kind`` and
    ``filters`` from here, so any page that has the list can render the section.
    """

    def __init__(self, entries: Iterable[TimelineEntry], case_id: int, kind: str) -> None:
        super().__init__(entries)
        self.case_id = case_id
        self.kind = kind

    @property
    def filters(self) -> list[tuple[str, str]]:
        """(filter name, button label) of every filter, in display order."""
        return list(TIMELINE_FILTER_LABELS.items())


def parse_timeline_filter(kind: str | None) -> str:
    """Return the filter name, "all" for an empty value. Raise TimelineFilterError naming the allowed names."""
    name = (kind or "").strip() or DEFAULT_FILTER
    if name not in TIMELINE_FILTERS:
        allowed = ", ".join(TIMELINE_FILTERS)
        # The value is shown with repr, so control characters reach the page escaped.
        message = f"Unknown timeline kind {name!r}: use one of {allowed}."
        raise TimelineFilterError(message, {"kind": message})
    return name


def day_start_utc(day: date) -> datetime:
    """Return 00:00 UTC on ``day``, the sort key of an event known only by its day."""
    return datetime.combine(day, time(0), UTC)


def is_day_start(at: datetime) -> bool:
    # NOTE: imported disputes carry only a date and are stored at 00:00:00 UTC;
    # an event logged live at exactly that microsecond would be shown date-only too.
    return at.astimezone(UTC).time() == time(0)


async def _user_names(session: AsyncSession, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _join_numbers(numbers: list[str]) -> str:
    noun = "invoice" if len(numbers) == 1 else "invoices"
    return f"{noun} {', '.join(numbers)}"


# Interactions


async def _interaction_entries(session: AsyncSession, case: Case, kinds: frozenset[str]) -> list[TimelineEntry]:
    query = (
        select(Interaction, User.display_name)
        .outerjoin(User, User.id == Interaction.user_id)
        .where(Interaction.client_id == case.client_id, Interaction.case_id == case.id)
        .order_by(Interaction.created_at, Interaction.id)
    )
    if kinds:
        query = query.where(Interaction.channel.in_([Channel(kind) for kind in kinds & INTERACTION_KINDS]))
    rows = (await session.execute(query)).all()
    call_back = await _current_call_back(session, case, [interaction for interaction, _ in rows])
    return [_interaction_entry(row, name, call_back) for row, name in rows]


async def _current_call_back(
    session: AsyncSession, case: Case, interactions: list[Interaction]
) -> tuple[int, str] | None:
    """Return (interaction id, local time text) of the call-back that set the case's timed next action.

    Interactions store only the day of the next action, so the time of day is
    read from the case while its next action is still the latest call-back.
    """
    if case.next_action_at is None or not interactions:
        return None
    latest = interactions[-1]
    if latest.outcome != CallOutcome.CALL_BACK_REQUESTED or latest.next_action_on != case.next_action_on:
        return None
    return latest.id, local_time_text(case.next_action_at, await call_back_zone(session, case))


def _interaction_entry(
    interaction: Interaction, user_name: str | None, call_back: tuple[int, str] | None
) -> TimelineEntry:
    if interaction.channel == Channel.NOTE:
        title = "Note"
    else:
        direction = "Inbound" if interaction.direction == Direction.INBOUND else "Outbound"
        title = f"{direction} {interaction.channel.value}"
    if interaction.outcome is not None:
        title = f"{title}: {interaction.outcome.label}"
    details = [interaction.note] if interaction.note else []
    if interaction.next_action_on is not None:
        details.append(f"Next action on {interaction.next_action_on.isoformat()}")
    if call_back is not None and interaction.id == call_back[0]:
        details[-1] = f"Call back at {call_back[1]}"
    detail = "\n".join(details) or None
    return TimelineEntry(interaction.created_at, interaction.channel.value, title, detail, user_name)


# Promises

PROMISE_OUTCOME_TITLES = {
    PromiseStatus.KEPT: "kept",
    PromiseStatus.PARTLY_KEPT: "partly kept",
    PromiseStatus.BROKEN: "broken",
    PromiseStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class _PlanFacts:
    count: int
    first_due_on: date | None


async def _promise_entries(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    promises = list(
        (
            await session.scalars(
                select(Promise)
                .where(Promise.client_id == case.client_id, Promise.case_id == case.id)
                .order_by(Promise.id)
            )
        ).all()
    )
    if not promises:
        return []
    ids = [promise.id for promise in promises]
    plans = await _plan_facts(session, case, ids)
    covered = await _promise_invoices(session, case, ids)
    names = await _user_names(session, (promise.created_by_id for promise in promises))
    entries = []
    for promise in promises:
        plan = plans.get(promise.id, _PlanFacts(0, None))
        changed = _promise_change_entry(promise)
        entries.append(_promise_made_entry(promise, plan, covered.get(promise.id, []), names, current=changed is None))
        if changed is not None:
            entries.append(changed)
    return entries


async def _plan_facts(session: AsyncSession, case: Case, promise_ids: list[int]) -> dict[int, _PlanFacts]:
    query = (
        select(PromiseInstalment.promise_id, func.count(), func.min(PromiseInstalment.due_on))
        .where(PromiseInstalment.client_id == case.client_id, PromiseInstalment.promise_id.in_(promise_ids))
        .group_by(PromiseInstalment.promise_id)
    )
    return {promise_id: _PlanFacts(count, first) for promise_id, count, first in await session.execute(query)}


async def _promise_invoices(session: AsyncSession, case: Case, promise_ids: list[int]) -> dict[int, list[str]]:
    query = (
        select(PromiseInvoice.promise_id, Invoice.number)
        .join(Invoice, Invoice.id == PromiseInvoice.invoice_id)
        .where(PromiseInvoice.client_id == case.client_id, PromiseInvoice.promise_id.in_(promise_ids))
        .order_by(Invoice.number)
    )
    numbers: dict[int, list[str]] = defaultdict(list)
    for promise_id, number in await session.execute(query):
        numbers[promise_id].append(number)
    return numbers


def _promise_made_entry(
    promise: Promise, plan: _PlanFacts, invoices: list[str], names: dict[int, str], *, current: bool
) -> TimelineEntry:
    """Build the entry of a promise being made, with the promise's status only while it has no later entry."""
    amount = format_money(promise.amount_minor, promise.currency)
    first = plan.first_due_on.isoformat() if plan.first_due_on else "an unknown day"
    if promise.frequency is None or plan.count <= 1:
        title = f"Promise to pay {amount} by {first}"
    else:
        title = f"Payment plan of {amount}: {plan.count} {promise.frequency.value} instalments from {first}"
    details = [promise.note] if promise.note else []
    if invoices:
        details.append(f"Covers {_join_numbers(invoices)}")
    user = names.get(promise.created_by_id) if promise.created_by_id is not None else None
    state = promise.status.label if current else None
    return TimelineEntry(promise.created_at, "promise", title, "\n".join(details) or None, user, state=state)


def _promise_change_entry(promise: Promise) -> TimelineEntry | None:
    outcome = PROMISE_OUTCOME_TITLES.get(promise.status)
    if outcome is None or promise.status_changed_at is None:
        return None
    title = f"Promise of {format_money(promise.amount_minor, promise.currency)} {outcome}"
    detail = None
    if promise.status in (PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT, PromiseStatus.BROKEN):
        on_time = format_money(promise.paid_on_time_minor, promise.currency)
        due = format_money(promise.due_minor, promise.currency)
        detail = f"{on_time} of {due} due paid on time"
    return TimelineEntry(promise.status_changed_at, "promise", title, detail, None, state=promise.status.label)


# Disputes

DISPUTE_OUTCOME_TITLES = {
    DisputeStatus.RESOLVED_DEBTOR: "Dispute resolved in the debtor's favour",
    DisputeStatus.RESOLVED_CREDITOR: "Dispute resolved in the client's favour",
}


def reason_label(code: str) -> str:
    """Return the label of a dispute reason code, or the code itself when it is not a DisputeReason (older imports)."""
    try:
        return DisputeReason(code).label
    except ValueError:
        return code


def _dispute_entry(
    at: datetime, title: str, detail: str | None, user: str | None, state: DisputeStatus | None
) -> TimelineEntry:
    label = state.label if state is not None else None
    return TimelineEntry(at, "dispute", title, detail, user, date_only=is_day_start(at), state=label)


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
    names = await _user_names(session, (dispute.resolved_by_id for dispute in disputes.values()))
    entries = []
    for dispute_id, dispute in disputes.items():
        invoices = _join_numbers(numbers[dispute_id])
        title = f"Dispute opened on {invoices} ({reason_label(dispute.reason_code)})"
        reviewed = dispute.reviewed_at is not None
        resolved = dispute.resolved_at is not None
        state = None if reviewed or resolved else dispute.status
        entries.append(_dispute_entry(dispute.opened_at, title, dispute.note, None, state))
        if dispute.reviewed_at is not None:
            title = f"Dispute under review ({invoices})"
            # A dispute resolved since then shows its resolution on the resolution entry only.
            state = None if resolved else dispute.status
            entries.append(_dispute_entry(dispute.reviewed_at, title, None, None, state))
        if dispute.resolved_at is not None:
            resolved = DISPUTE_OUTCOME_TITLES.get(dispute.status, "Dispute resolved")
            details = []
            if dispute.credited_minor:
                currency = case.currency
                details.append(f"Credited {format_money(dispute.credited_minor, currency)}")
            if dispute.resolution_note:
                details.append(dispute.resolution_note)
            user = names.get(dispute.resolved_by_id) if dispute.resolved_by_id is not None else None
            title = f"{resolved} ({invoices})"
            entries.append(_dispute_entry(dispute.resolved_at, title, "\n".join(details) or None, user, dispute.status))
    return entries


# Payments and payment checks


async def _payment_entries(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    payments = list(
        (
            await session.scalars(
                select(Payment)
                .where(Payment.client_id == case.client_id, Payment.debtor_id == case.debtor_id)
                .order_by(Payment.paid_on, Payment.id)
            )
        ).all()
    )
    if not payments:
        return []
    allocations = await _allocations(session, case, [payment.id for payment in payments])
    settled = await _settled_numbers(session, case, payments)
    return [_payment_entry(payment, allocations.get(payment.id, []), settled) for payment in payments]


async def _allocations(session: AsyncSession, case: Case, payment_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    query = (
        select(PaymentAllocation.payment_id, Invoice.number, PaymentAllocation.amount_minor)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(PaymentAllocation.client_id == case.client_id, PaymentAllocation.payment_id.in_(payment_ids))
        .order_by(Invoice.due_date, Invoice.number)
    )
    allocations: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for payment_id, number, amount in await session.execute(query):
        allocations[payment_id].append((number, amount))
    return allocations


async def _settled_numbers(session: AsyncSession, case: Case, payments: list[Payment]) -> dict[int, str]:
    invoice_ids = {payment.invoice_id for payment in payments if payment.invoice_id is not None}
    if not invoice_ids:
        return {}
    query = select(Invoice.id, Invoice.number).where(Invoice.client_id == case.client_id, Invoice.id.in_(invoice_ids))
    return {invoice_id: number for invoice_id, number in await session.execute(query)}


def _payment_entry(payment: Payment, allocations: list[tuple[str, int]], numbers: dict[int, str]) -> TimelineEntry:
    title = f"Payment of {format_money(payment.amount_minor, payment.currency)} received"
    details = []
    if allocations:
        if len(allocations) == 1:
            details.append(f"Against {allocations[0][0]}")
        else:
            parts = [f"{number} ({format_money(amount, payment.currency)})" for number, amount in allocations]
            details.append(f"Against {', '.join(parts)}")
    elif payment.source == PaymentSource.SETTLEMENT and payment.invoice_id in numbers:
        details.append(f"Settles invoice {numbers[payment.invoice_id]} (settled date from the invoice import)")
    if payment.unallocated_minor:
        unallocated = f"Unallocated: {format_money(payment.unallocated_minor, payment.currency)}"
        details.append(f"{unallocated}, {payment.unallocated_reason}" if payment.unallocated_reason else unallocated)
    if payment.source != PaymentSource.SETTLEMENT:
        details.append(f"Reference {payment.reference}")
    detail = "\n".join(details) or None
    return TimelineEntry(day_start_utc(payment.paid_on), "payment", title, detail, None, date_only=True)


CHECK_STATE_LABELS = {
    PaymentCheckStatus.OPEN: "Checking",
    PaymentCheckStatus.FOUND: "Payment found",
    PaymentCheckStatus.NOT_FOUND: "No payment found",
}


async def _payment_check_entries(session: AsyncSession, case: Case) -> list[TimelineEntry]:
    query = (
        select(PaymentCheck, Payment)
        .outerjoin(Payment, Payment.id == PaymentCheck.payment_id)
        .where(PaymentCheck.client_id == case.client_id, PaymentCheck.case_id == case.id)
        .order_by(PaymentCheck.id)
    )
    entries = []
    for check, payment in await session.execute(query):
        state = CHECK_STATE_LABELS[check.status]
        opened_detail = f"{claimed_payment_text(check, case.currency)}\nChecking for the payment until {check.due_on}"
        title = "Debtor says already paid"
        if check.status == PaymentCheckStatus.OPEN or check.resolved_at is None:
            entries.append(TimelineEntry(check.created_at, "payment_check", title, opened_detail, None, state=state))
            continue
        # The resolution entry carries the check's state; the earlier entry shows none.
        entries.append(TimelineEntry(check.created_at, "payment_check", title, opened_detail, None))
        if check.status == PaymentCheckStatus.FOUND:
            title = "Payment check: payment found"
            detail = None
            if payment is not None:
                money = format_money(payment.amount_minor, payment.currency)
                detail = f"Payment {payment.reference} of {money} on {payment.paid_on}"
        else:
            title = "Payment check: no payment found"
            detail = f"No payment arrived by {check.due_on}: the case is back in the call queue"
        entries.append(TimelineEntry(check.resolved_at, "payment_check", title, detail, None, state=state))
    return entries


def claimed_payment_text(check: PaymentCheck, currency: str) -> str:
    """Describe the payment details the debtor gave, or state that they gave none."""
    parts = []
    if check.claimed_paid_on is not None:
        parts.append(f"paid on {check.claimed_paid_on}")
    if check.claimed_amount_minor is not None:
        parts.append(format_money(check.claimed_amount_minor, currency))
    if check.claimed_reference:
        parts.append(f"bank reference {check.claimed_reference}")
    if not parts:
        return "No payment details given"
    return "Debtor says: " + ", ".join(parts)


# The whole list


def _wants(kinds: frozenset[str], *names: str) -> bool:
    return not kinds or any(name in kinds for name in names)


async def list_timeline(
    session: AsyncSession, scope: Scope, case_id: int, kind: str | None = DEFAULT_FILTER
) -> Timeline:
    """Return the case's events of the ``kind`` filter (see TIMELINE_FILTERS), newest first.

    Payments carry only a date, so they sit at 00:00 UTC on that day and are
    marked ``date_only``. Raises TimelineFilterError for an unknown filter.
    """
    name = parse_timeline_filter(kind)
    kinds = TIMELINE_FILTERS[name]
    case = await get_case_in_scope(session, scope, case_id)

    entries: list[TimelineEntry] = []
    if _wants(kinds, *INTERACTION_KINDS):
        entries += await _interaction_entries(session, case, kinds)
    if _wants(kinds, "promise"):
        entries += await _promise_entries(session, case)
    if _wants(kinds, "dispute"):
        entries += await _dispute_entries(session, case)
    if _wants(kinds, "payment"):
        entries += await _payment_entries(session, case)
    if _wants(kinds, "payment_check"):
        entries += await _payment_check_entries(session, case)
    # Date-only events sit at 00:00 UTC, so on the same day they come after (below) every
    # timed event; the page marks their time as unknown rather than guessing one.
    # sorted() is stable, so events at the same instant keep the order they were added in.
    return Timeline(sorted(entries, key=lambda entry: entry.at, reverse=True), case.id, name)


async def call_back_zone(session: AsyncSession, case: Case) -> str:
    """Return the time zone a call-back on ``case`` is agreed in: the debtor's, else the client's."""
    debtor = await session.get_one(Debtor, case.debtor_id)
    client = await session.get_one(Client, case.client_id)
    return contact_zone_name(debtor, client)


def local_time_text(at: datetime, zone_name: str) -> str:
    """Format a UTC instant as the day and time in ``zone_name``, with the zone's name."""
    return f"{at.astimezone(ZoneInfo(zone_name)):%Y-%m-%d %H:%M} {zone_name}"
