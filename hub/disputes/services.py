"""Opening disputes on a case's invoices and moving them through review to a resolution.

A dispute covers open invoices of one debtor, and an invoice is in at most
one open dispute. Its status goes open -> under_review -> resolved_debtor or
resolved_creditor, and open may be resolved directly. A resolved dispute is
final. Every change refreshes the debtor's case, because invoices under an
open dispute leave the collectible balance, and records an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User, user_client
from hub.accounts.scope import Scope
from hub.audit.services import DISPUTE_CHANGED, DISPUTE_OPENED, record_audit
from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.cases.refresh import refresh_debtor_cases
from hub.clients.models import Client
from hub.db import utcnow
from hub.disputes.models import (
    DISPUTE_STATUS_LABELS,
    OPEN_DISPUTE_STATUSES,
    Dispute,
    DisputeInvoice,
    DisputeReason,
    DisputeStatus,
)
from hub.disputes.sla import add_working_days
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.interactions.models import CallOutcome, Channel
from hub.interactions.services import add_interaction, begin_case_work, clean_note
from hub.invoices.models import Invoice
from hub.text import require_plain_text
from hub.web.ids import is_row_id
from hub.web.templating import format_money

# Channels a dispute can be raised through; a note without contact is logged as an outcome instead.
DISPUTE_CHANNELS = (Channel.CALL, Channel.EMAIL, Channel.SMS, Channel.LETTER)
RESOLVED_STATUSES = (DisputeStatus.RESOLVED_DEBTOR, DisputeStatus.RESOLVED_CREDITOR)
# The statuses each status may move to.
TRANSITIONS = {
    DisputeStatus.OPEN: (DisputeStatus.UNDER_REVIEW, *RESOLVED_STATUSES),
    DisputeStatus.UNDER_REVIEW: RESOLVED_STATUSES,
    DisputeStatus.RESOLVED_DEBTOR: (),
    DisputeStatus.RESOLVED_CREDITOR: (),
}
RESOLUTION_NOTE_REQUIRED = (
    "A resolution note is required to resolve a dispute: write what was decided and why, "
    "such as the credit note sent or the proof of delivery accepted."
)
# Days until the next action on the case after a dispute is recorded, as for a call outcome without a date.
NEXT_ACTION_AFTER_DISPUTE_DAYS = 1


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, {field: message})


def parse_reason(value: str | None) -> DisputeReason:
    """Return the dispute reason for a code such as ``quality``; raise ValidationError on field ``reason``."""
    text = (value or "").strip()
    require_plain_text("reason", "Reason", text)
    if not text:
        raise _invalid("reason", "Pick a dispute reason.")
    try:
        return DisputeReason(text)
    except ValueError:
        choices = ", ".join(reason.value for reason in DisputeReason)
        raise _invalid("reason", f"Unknown dispute reason {text!r}: use one of {choices}.") from None


def parse_channel(value: str | None) -> Channel:
    """Return the contact channel of a dispute (default call); raise ValidationError on field ``channel``."""
    text = (value or "").strip() or Channel.CALL.value
    require_plain_text("channel", "Channel", text)
    if text not in {channel.value for channel in DISPUTE_CHANNELS}:
        choices = ", ".join(channel.value for channel in DISPUTE_CHANNELS)
        raise _invalid("channel", f"Unknown channel {text!r}: use one of {choices}.")
    return Channel(text)


def parse_status(value: str | None) -> DisputeStatus:
    text = (value or "").strip()
    require_plain_text("status", "Status", text)
    try:
        return DisputeStatus(text)
    except ValueError:
        choices = ", ".join(status.value for status in DisputeStatus)
        raise _invalid("status", f"Unknown dispute status {text!r}: use one of {choices}.") from None


def clean_invoice_numbers(numbers: Iterable[str]) -> list[str]:
    """Return the invoice numbers stripped, without blanks and repeats, in the order given."""
    cleaned: list[str] = []
    for number in numbers:
        text = (number or "").strip()
        require_plain_text("invoices", "Invoice number", text)
        if text and text not in cleaned:
            cleaned.append(text)
    if not cleaned:
        raise _invalid("invoices", "Pick at least one open invoice to dispute.")
    return cleaned


def dispute_not_found(dispute_id: int) -> NotFoundError:
    return NotFoundError(
        f"Dispute {dispute_id} not found: it does not exist or belongs to a client you do not work on."
    )


async def get_dispute_in_scope(
    session: AsyncSession, scope: Scope, dispute_id: int, *, for_update: bool = False
) -> Dispute:
    """Return the dispute, or raise NotFoundError when it does not exist or lies outside ``scope``."""
    if not is_row_id(dispute_id):
        raise dispute_not_found(dispute_id)
    query = select(Dispute).where(Dispute.id == dispute_id, Dispute.client_id.in_(scope.client_ids))
    dispute = await session.scalar(query.with_for_update() if for_update else query)
    if dispute is None:
        raise dispute_not_found(dispute_id)
    return dispute


async def load_dispute_invoices(
    session: AsyncSession, dispute_ids: Sequence[int], *, for_update: bool = False
) -> dict[int, list[Invoice]]:
    """Return the invoices of each dispute, oldest due date first."""
    if not dispute_ids:
        return {}
    query = (
        select(DisputeInvoice.dispute_id, Invoice)
        .join(Invoice, Invoice.id == DisputeInvoice.invoice_id)
        .where(DisputeInvoice.dispute_id.in_(list(dispute_ids)))
        .order_by(Invoice.due_date, Invoice.number)
    )
    if for_update:
        query = query.with_for_update(of=Invoice)
    invoices: dict[int, list[Invoice]] = {dispute_id: [] for dispute_id in dispute_ids}
    for dispute_id, invoice in await session.execute(query):
        invoices[dispute_id].append(invoice)
    return invoices


async def open_disputes_of_invoices(
    session: AsyncSession, client_id: int, invoice_ids: Iterable[int]
) -> dict[int, int]:
    """Return the id of the open dispute of each invoice in ``invoice_ids`` that has one."""
    ids = list(invoice_ids)
    if not ids:
        return {}
    query = (
        select(DisputeInvoice.invoice_id, Dispute.id)
        .join(Dispute, Dispute.id == DisputeInvoice.dispute_id)
        .where(
            Dispute.client_id == client_id,
            DisputeInvoice.invoice_id.in_(ids),
            Dispute.status.in_(OPEN_DISPUTE_STATUSES),
        )
    )
    return {invoice_id: dispute_id for invoice_id, dispute_id in await session.execute(query)}


async def _disputable_invoices(session: AsyncSession, case: Case, numbers: list[str]) -> list[Invoice]:
    """Return the invoices ``numbers`` of the case's debtor; raise ValidationError naming the first one that fails."""
    query = select(Invoice).where(Invoice.client_id == case.client_id, Invoice.number.in_(numbers))
    found = {invoice.number: invoice for invoice in await session.scalars(query)}
    for number in numbers:
        invoice = found.get(number)
        if invoice is None or invoice.debtor_id != case.debtor_id:
            raise _invalid(
                "invoices", f"Invoice {number} is not an invoice of this debtor: pick one of its open invoices."
            )
        if invoice.settled_date is not None or invoice.open_minor <= 0:
            raise _invalid("invoices", f"Invoice {number} has nothing open: only open invoices can be disputed.")
    invoices = [found[number] for number in numbers]
    disputed = await open_disputes_of_invoices(session, case.client_id, [invoice.id for invoice in invoices])
    for invoice in invoices:
        if invoice.id in disputed:
            raise _invalid(
                "invoices",
                f"Invoice {invoice.number} is already in open dispute {disputed[invoice.id]}: "
                "resolve that dispute first, or leave the invoice out.",
            )
    return invoices


async def open_dispute(
    session: AsyncSession,
    client: Client,
    case: Case,
    user_id: int | None,
    *,
    reason: DisputeReason,
    invoice_numbers: Sequence[str],
    note: str | None,
    today: date,
    now: datetime,
) -> Dispute:
    """Add a dispute on open invoices of the case's debtor, owned by ``user_id``, and flush it.

    ``note`` must already be cleaned (clean_note). The SLA counts the
    client's dispute_sla_days working days from ``today``. Raises
    ValidationError naming the invoice that is unknown, of another debtor,
    settled or already in an open dispute.
    """
    invoices = await _disputable_invoices(session, case, list(invoice_numbers))
    dispute = Dispute(
        client_id=client.id,
        debtor_id=case.debtor_id,
        owner_id=user_id,
        reason_code=reason.value,
        status=DisputeStatus.OPEN,
        note=note,
        opened_at=now,
        sla_due_on=add_working_days(today, client.dispute_sla_days),
        credited_minor=0,
    )
    session.add(dispute)
    await session.flush()
    session.add_all(
        DisputeInvoice(dispute_id=dispute.id, invoice_id=invoice.id, client_id=client.id) for invoice in invoices
    )
    await session.flush()
    return dispute


async def record_dispute(
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    user_id: int,
    *,
    reason: str | None,
    invoice_numbers: Iterable[str],
    channel: str | None,
    note: str | None,
    today: date | None = None,
    now: datetime | None = None,
) -> Dispute:
    """Record a dispute raised in a contact with the debtor, with its interaction, and commit.

    The interaction has outcome disputes_debt and schedules the next action
    for tomorrow. Raises ConflictError when another user has a live claim on
    the case and ValidationError for a bad reason, channel, note or invoice.
    """
    parsed_reason = parse_reason(reason)
    parsed_channel = parse_channel(channel)
    numbers = clean_invoice_numbers(invoice_numbers)
    note_text = clean_note(note)
    now = now or utcnow()
    work = await begin_case_work(session, scope, case_id, user_id, today=today, now=now)

    dispute = await open_dispute(
        session,
        work.client,
        work.case,
        user_id,
        reason=parsed_reason,
        invoice_numbers=numbers,
        note=note_text,
        today=work.today,
        now=now,
    )
    interaction = add_interaction(
        session,
        work.case,
        user_id,
        channel=parsed_channel,
        outcome=CallOutcome.DISPUTES_DEBT,
        note=note_text,
        next_action_on=work.today + timedelta(days=NEXT_ACTION_AFTER_DISPUTE_DAYS),
    )
    await session.flush()
    dispute.interaction_id = interaction.id
    await refresh_debtor_cases(session, work.client, [work.case.debtor_id])
    invoice_ids = sorted((await load_dispute_invoices(session, [dispute.id]))[dispute.id], key=lambda i: i.id)
    detail = {
        "case_id": work.case.id,
        "interaction_id": interaction.id,
        "reason": parsed_reason.value,
        "invoice_ids": [invoice.id for invoice in invoice_ids],
    }
    await record_audit(session, user_id, DISPUTE_OPENED, "dispute", dispute.id, work.client.id, detail)
    await session.commit()
    return dispute


@dataclass(frozen=True)
class DisputeChange:
    """A requested change of a dispute; None leaves that part as it is.

    ``credit_minor`` applies only with status resolved_debtor, and None there
    credits the full open amount of the dispute's invoices.
    """

    status: DisputeStatus | None = None
    owner_id: int | None = None
    resolution_note: str | None = None
    credit_minor: int | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.status is None
            and self.owner_id is None
            and self.resolution_note is None
            and (self.credit_minor is None)
        )


def status_label(status: DisputeStatus) -> str:
    return DISPUTE_STATUS_LABELS[status].lower()


def _check_transition(dispute: Dispute, change: DisputeChange) -> None:
    current = DisputeStatus(dispute.status)
    if current in RESOLVED_STATUSES:
        raise ConflictError(
            f"Dispute {dispute.id} is already {status_label(current)}: a resolved dispute is final, "
            "so open a new dispute if the debtor objects again."
        )
    if change.status is None or change.status in TRANSITIONS[current]:
        return
    allowed = " or ".join(status.value for status in TRANSITIONS[current])
    if change.status == current:
        problem = f"is already {status_label(current)}"
    else:
        problem = f"is {status_label(current)} and cannot move to {change.status.value}"
    raise ConflictError(f"Dispute {dispute.id} {problem}: it can move to {allowed}.")


def _check_change_fields(change: DisputeChange) -> None:
    if change.is_empty:
        raise ValidationError("Nothing to change: give a status, an owner, a resolution note or a credit.")
    if change.credit_minor is not None and change.status != DisputeStatus.RESOLVED_DEBTOR:
        raise _invalid(
            "credit",
            "A credit applies only when the dispute is resolved for the debtor: "
            "resolve it for the debtor or leave the credit out.",
        )
    if change.resolution_note is not None and change.status not in RESOLVED_STATUSES:
        raise _invalid(
            "resolution_note",
            "A resolution note goes with a resolution: resolve the dispute for the debtor or the creditor.",
        )


def clean_resolution_note(note: str | None) -> str | None:
    """Return the resolution note stripped, or raise ValidationError on field ``resolution_note``."""
    try:
        return clean_note(note)
    except ValidationError as error:
        message = str(error).replace("Note", "Resolution note", 1)
        raise _invalid("resolution_note", message) from None


async def assignable_users(session: AsyncSession, client_id: int) -> list[User]:
    """Return the active users who work on the client: its own users and the admins bound to no client."""
    assigned = select(user_client.c.user_id).where(user_client.c.client_id == client_id)
    unbound = select(user_client.c.user_id)
    query = (
        select(User)
        .where(
            User.is_active.is_(True),
            or_(User.id.in_(assigned), and_(User.role == Role.ADMIN, User.id.not_in(unbound))),
        )
        .order_by(User.display_name, User.id)
    )
    return list((await session.scalars(query)).all())


async def _check_owner(session: AsyncSession, client: Client, owner_id: int) -> None:
    if any(user.id == owner_id for user in await assignable_users(session, client.id)):
        return
    raise _invalid(
        "owner",
        f"User {owner_id} does not work on client {client.slug}: pick one of the users listed for this client.",
    )


def plan_credit(invoices: Sequence[Invoice], credit_minor: int | None, currency: str) -> list[tuple[Invoice, int]]:
    """Split a credit over ``invoices`` oldest due date first, never above what an invoice has open.

    None credits the full open amount. Raises ValidationError on field
    ``credit`` for a credit of zero or less, or above the open amount.
    """
    ordered = sorted(invoices, key=lambda invoice: (invoice.due_date, invoice.number))
    open_total = sum(max(invoice.open_minor, 0) for invoice in ordered)
    if credit_minor is not None:
        numbers = ", ".join(invoice.number for invoice in ordered)
        if credit_minor <= 0:
            raise _invalid(
                "credit",
                f"Credit must be more than {format_money(0, currency)}: "
                f"leave it empty to credit the full open amount of {format_money(open_total, currency)}.",
            )
        if credit_minor > open_total:
            raise _invalid(
                "credit",
                f"Credit of {format_money(credit_minor, currency)} is more than the "
                f"{format_money(open_total, currency)} open on invoice(s) {numbers}: "
                f"enter at most {format_money(open_total, currency)}.",
            )
    remaining = open_total if credit_minor is None else credit_minor
    plan = []
    for invoice in ordered:
        part = min(remaining, max(invoice.open_minor, 0))
        if part > 0:
            plan.append((invoice, part))
            remaining -= part
    return plan


def apply_credit(dispute: Dispute, plan: Sequence[tuple[Invoice, int]]) -> int:
    """Add each planned part to its invoice's credited amount and return the total credited."""
    total = 0
    for invoice, part in plan:
        invoice.credited_minor += part
        invoice.recompute_open()
        total += part
    dispute.credited_minor = (dispute.credited_minor or 0) + total
    return total


async def _resume_follow_up(session: AsyncSession, dispute: Dispute, today: date) -> None:
    case = await session.scalar(
        select(Case).where(Case.client_id == dispute.client_id, Case.debtor_id == dispute.debtor_id)
    )
    if case is not None:
        case.next_action_on = today
        case.next_action_at = None


async def change_dispute(
    session: AsyncSession,
    scope: Scope,
    dispute_id: int,
    user_id: int | None,
    change: DisputeChange,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> Dispute:
    """Reassign, review or resolve a dispute in ``scope``, refresh the debtor's case, audit it and commit.

    Raises ConflictError naming the current status for a dispute that is
    already resolved or a status it cannot move to, and ValidationError for
    a resolution without a resolution note, an owner who does not work on
    the client or a credit that does not fit.
    Resolving for the creditor makes the case due for follow-up ``today``
    (default: today in the client's time zone).
    """
    _check_change_fields(change)
    note = clean_resolution_note(change.resolution_note) if change.resolution_note is not None else None
    dispute = await get_dispute_in_scope(session, scope, dispute_id, for_update=True)
    _check_transition(dispute, change)
    if change.status in RESOLVED_STATUSES and note is None:
        raise _invalid("resolution_note", RESOLUTION_NOTE_REQUIRED)
    client = await session.get_one(Client, dispute.client_id)
    now = now or utcnow()
    today = today or client_today(client, now)
    previous_status = DisputeStatus(dispute.status)
    detail: dict[str, object] = {"from_status": previous_status.value}

    if change.owner_id is not None and change.owner_id == dispute.owner_id and change.status is None:
        raise _invalid("owner", f"Dispute {dispute.id} already has that owner: pick another user.")
    if change.owner_id is not None and change.owner_id != dispute.owner_id:
        await _check_owner(session, client, change.owner_id)
        detail["previous_owner_id"] = dispute.owner_id
        detail["owner_id"] = change.owner_id
        dispute.owner_id = change.owner_id

    if change.status == DisputeStatus.UNDER_REVIEW:
        dispute.reviewed_at = now
    elif change.status in RESOLVED_STATUSES:
        invoices = (await load_dispute_invoices(session, [dispute.id], for_update=True))[dispute.id]
        if change.status == DisputeStatus.RESOLVED_DEBTOR:
            plan = plan_credit(invoices, change.credit_minor, client.currency)
            apply_credit(dispute, plan)
            detail["credited_invoice_ids"] = [invoice.id for invoice, _ in plan]
        else:
            await _resume_follow_up(session, dispute, today)
        dispute.resolved_at = now
        dispute.resolved_by_id = user_id
        dispute.resolution_note = note
    if change.status is not None:
        dispute.status = change.status
    detail["to_status"] = DisputeStatus(dispute.status).value

    await session.flush()
    await refresh_debtor_cases(session, client, [dispute.debtor_id])
    await record_audit(session, user_id, DISPUTE_CHANGED, "dispute", dispute.id, client.id, detail)
    await session.commit()
    return dispute


async def start_review(session: AsyncSession, scope: Scope, dispute_id: int, user_id: int | None) -> Dispute:
    return await change_dispute(session, scope, dispute_id, user_id, DisputeChange(status=DisputeStatus.UNDER_REVIEW))


async def resolve_dispute(
    session: AsyncSession,
    scope: Scope,
    dispute_id: int,
    user_id: int | None,
    *,
    for_debtor: bool,
    credit_minor: int | None = None,
    resolution_note: str | None = None,
    today: date | None = None,
) -> Dispute:
    status = DisputeStatus.RESOLVED_DEBTOR if for_debtor else DisputeStatus.RESOLVED_CREDITOR
    change = DisputeChange(status=status, credit_minor=credit_minor, resolution_note=resolution_note)
    return await change_dispute(session, scope, dispute_id, user_id, change, today=today)


async def reassign_owner(
    session: AsyncSession, scope: Scope, dispute_id: int, user_id: int | None, owner_id: int
) -> Dispute:
    return await change_dispute(session, scope, dispute_id, user_id, DisputeChange(owner_id=owner_id))
