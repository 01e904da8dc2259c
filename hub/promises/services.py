"""Recording and cancelling promises to pay on a case, and reading them back in scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.audit.services import PROMISE_CANCELLED, PROMISE_CREATED, record_audit
from hub.cases.claims import get_case_in_scope
from hub.cases.models import Case
from hub.cases.priority import refresh_case_priority
from hub.cases.services import invoice_is_disputed
from hub.clients.models import Client
from hub.disputes.models import OPEN_DISPUTE_STATUSES, Dispute, DisputeInvoice
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.interactions.models import CallOutcome, Channel
from hub.interactions.services import add_interaction, begin_case_work, clean_note
from hub.invoices.models import Invoice
from hub.promises.evaluation import evaluate_debtor_promises
from hub.promises.models import Promise, PromiseInstalment, PromiseInvoice, PromiseStatus
from hub.promises.schedule import build_schedule, check_first_due_on
from hub.text import require_plain_text
from hub.web.ids import is_row_id
from hub.web.templating import format_money

# The channels a promise can be made through; the select on the form offers these.
PROMISE_CHANNELS = (Channel.CALL, Channel.EMAIL, Channel.SMS, Channel.LETTER)
CANCEL_REASON_MAX_CHARS = 500


@dataclass(frozen=True)
class PromiseTerms:
    """What the debtor promised, as the form or the API sent it.

    ``invoice_numbers`` None means the debtor's open, undisputed invoices.
    ``amounts_minor`` None or empty means an equal split.
    """

    amount_minor: int
    first_due_on: date
    instalments: int = 1
    frequency: str | None = None
    amounts_minor: Sequence[int] | None = None
    invoice_numbers: Sequence[str] | None = None
    confirm_above_balance: bool = False


def promise_not_found(promise_id: int) -> NotFoundError:
    return NotFoundError(
        f"Promise {promise_id} not found: it does not exist or belongs to a client you do not work on."
    )


def parse_channel(value: str | Channel | None) -> Channel:
    """Return the channel of a promise, call when none is given."""
    if value is None or value == "":
        return Channel.CALL
    require_plain_text("channel", "Channel", str(value))
    try:
        channel = Channel(value)
    except ValueError:
        channel = None
    if channel not in PROMISE_CHANNELS:
        choices = ", ".join(member.value for member in PROMISE_CHANNELS)
        message = f"Unknown channel {value!r}: use one of {choices}."
        raise ValidationError(message, {"channel": message})
    return channel


async def open_invoices(session: AsyncSession, case: Case) -> list[tuple[Invoice, bool]]:
    """Return the debtor's open invoices, oldest due date first, each with whether an open dispute covers it."""
    query = (
        select(Invoice, invoice_is_disputed())
        .where(
            Invoice.client_id == case.client_id,
            Invoice.debtor_id == case.debtor_id,
            Invoice.open_minor > 0,
        )
        .order_by(Invoice.due_date, Invoice.number)
    )
    return [(invoice, bool(disputed)) for invoice, disputed in await session.execute(query)]


async def covered_invoices(session: AsyncSession, case: Case, numbers: Sequence[str] | None) -> list[Invoice]:
    """Return the invoices a promise covers: ``numbers``, or by default every open undisputed invoice."""
    candidates = await open_invoices(session, case)
    if numbers is None:
        return [invoice for invoice, disputed in candidates if not disputed]
    wanted = list(dict.fromkeys(number.strip() for number in numbers if number.strip()))
    if not wanted and candidates:
        message = "Pick at least one open invoice the promise covers."
        raise ValidationError(message, {"invoices": message})
    by_number = {invoice.number: invoice for invoice, _ in candidates}
    disputed = {invoice.number for invoice, is_disputed in candidates if is_disputed}
    for number in wanted:
        require_plain_text("invoices", "Invoice number", number)
        if number not in by_number:
            message = (
                f"Invoice {number!r} is not an open invoice of this debtor: "
                "pick among the open invoices listed on the case."
            )
            raise ValidationError(message, {"invoices": message})
        if number in disputed:
            dispute_id = await open_dispute_id(session, by_number[number])
            message = (
                f"Invoice {number!r} is in open dispute {dispute_id}, which pauses collection on it: "
                "leave it out of the promise, or resolve the dispute first."
            )
            raise ValidationError(message, {"invoices": message})
    return [by_number[number] for number in wanted]


async def open_dispute_id(session: AsyncSession, invoice: Invoice) -> int | None:
    """Return the id of the open dispute that covers ``invoice``, or None."""
    query = (
        select(Dispute.id)
        .join(DisputeInvoice, DisputeInvoice.dispute_id == Dispute.id)
        .where(DisputeInvoice.invoice_id == invoice.id, Dispute.status.in_(OPEN_DISPUTE_STATUSES))
        .limit(1)
    )
    return await session.scalar(query)


def check_balance(case: Case, amount_minor: int, confirmed: bool) -> None:
    """Reject a promise above the case's collectible balance unless the request confirms it."""
    if amount_minor <= case.open_minor or confirmed:
        return
    message = (
        f"The promised {format_money(amount_minor, case.currency)} is more than the open balance of "
        f"{format_money(case.open_minor, case.currency)}: confirm the amount to record it anyway."
    )
    raise ValidationError(message, {"confirm_above_balance": message})


async def open_promises_of(session: AsyncSession, case: Case) -> list[Promise]:
    query = select(Promise).where(
        Promise.client_id == case.client_id, Promise.case_id == case.id, Promise.status == PromiseStatus.OPEN
    )
    return list((await session.scalars(query.order_by(Promise.id))).all())


async def add_promise(
    session: AsyncSession,
    case: Case,
    client: Client,
    terms: PromiseTerms,
    *,
    today: date,
    created_by_id: int | None = None,
    interaction_id: int | None = None,
    note: str | None = None,
) -> Promise:
    """Add a promise with its instalments and covered invoices to ``case``, and evaluate it; flush, never commit.

    ``today`` is the client-local day the promise is made. An open promise
    already on the case is cancelled as replaced by this one. Raises
    ValidationError naming the term to fix.
    """
    frequency, schedule = build_schedule(
        terms.amount_minor,
        case.currency,
        terms.first_due_on,
        today=today,
        instalments=terms.instalments,
        frequency=terms.frequency,
        amounts_minor=terms.amounts_minor,
    )
    check_balance(case, terms.amount_minor, terms.confirm_above_balance)
    invoices = await covered_invoices(session, case, terms.invoice_numbers)
    replaced = await open_promises_of(session, case)

    promise = Promise(
        client_id=case.client_id,
        case_id=case.id,
        debtor_id=case.debtor_id,
        interaction_id=interaction_id,
        created_by_id=created_by_id,
        currency=case.currency,
        amount_minor=terms.amount_minor,
        frequency=frequency,
        made_on=today,
        status=PromiseStatus.OPEN,
        paid_minor=0,
        paid_on_time_minor=0,
        due_minor=0,
        note=note,
    )
    session.add(promise)
    await session.flush()
    session.add_all(
        PromiseInstalment(
            client_id=case.client_id,
            promise_id=promise.id,
            sequence=item.sequence,
            due_on=item.due_on,
            amount_minor=item.amount_minor,
            paid_minor=0,
            paid_on_time_minor=0,
            status=PromiseStatus.OPEN,
        )
        for item in schedule
    )
    session.add_all(
        PromiseInvoice(promise_id=promise.id, invoice_id=invoice.id, client_id=case.client_id) for invoice in invoices
    )
    now = datetime.now(UTC)
    for older in replaced:
        older.status = PromiseStatus.CANCELLED
        older.status_changed_at = now
        older.note = _append_line(older.note, f"Replaced by promise #{promise.id}.")

    # Cleared so that evaluation schedules the case from this promise's first open instalment.
    case.promise_due_on = None
    await evaluate_debtor_promises(session, client, [case.debtor_id], today)
    await session.flush()
    return promise


def _append_line(text: str | None, line: str) -> str:
    return f"{text}\n{line}" if text else line


async def record_promise(
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    user_id: int,
    terms: PromiseTerms,
    *,
    channel: str | Channel | None = None,
    note: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Promise:
    """Record a promise made in a contact through ``channel``, with its interaction and audit event, and commit.

    ``today`` defaults to today in the client's time zone. Raises
    ConflictError when another user has an unexpired claim on the case (at
    ``now``), NotFoundError outside ``scope`` and ValidationError on bad
    terms, in which case nothing is stored.
    """
    contact_channel = parse_channel(channel)
    note_text = clean_note(note)
    work = await begin_case_work(session, scope, case_id, user_id, today=today, now=now)
    # Checked before the date is used, since a date such as 9999-12-31 has no day after its grace.
    check_first_due_on(terms.first_due_on, work.today)
    grace = timedelta(days=max(work.client.promise_grace_days, 0) + 1)
    interaction = add_interaction(
        session,
        work.case,
        user_id,
        channel=contact_channel,
        outcome=CallOutcome.PROMISE_TO_PAY,
        note=note_text,
        next_action_on=terms.first_due_on + grace,
    )
    await session.flush()
    promise = await add_promise(
        session,
        work.case,
        work.client,
        terms,
        today=work.today,
        created_by_id=user_id,
        interaction_id=interaction.id,
        note=note_text,
    )
    interaction.next_action_on = work.case.next_action_on
    await refresh_case_priority(session, work.case, today=work.today)
    detail = {
        "case_id": work.case.id,
        "interaction_id": interaction.id,
        "instalments": terms.instalments,
        "channel": contact_channel.value,
    }
    await record_audit(session, user_id, PROMISE_CREATED, "promise", promise.id, work.case.client_id, detail)
    await session.commit()
    return promise


def clean_cancel_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    require_plain_text("reason", "Reason", text)
    if not text:
        message = "A reason is required to cancel a promise: say why, for example 'debtor withdrew the offer'."
        raise ValidationError(message, {"reason": message})
    if len(text) > CANCEL_REASON_MAX_CHARS:
        message = f"Reason is {len(text)} characters long: shorten it to at most {CANCEL_REASON_MAX_CHARS}."
        raise ValidationError(message, {"reason": message})
    return text


async def get_promise(session: AsyncSession, scope: Scope, promise_id: int) -> Promise:
    """Return the promise when its client is in ``scope``; otherwise raise NotFoundError."""
    if not is_row_id(promise_id):
        raise promise_not_found(promise_id)
    promise = await session.scalar(
        select(Promise).where(Promise.id == promise_id, Promise.client_id.in_(scope.client_ids))
    )
    if promise is None:
        raise promise_not_found(promise_id)
    return promise


async def cancel_promise(
    session: AsyncSession,
    scope: Scope,
    promise_id: int,
    user_id: int,
    reason: str | None,
    *,
    case_id: int | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Promise:
    """Cancel an open promise with ``reason``, put its case back in the call queue, audit it and commit.

    With ``case_id`` the promise must belong to that case. Only an open
    promise can be cancelled: kept, partly kept and broken ones are decided
    by payments and stay as they are.
    """
    text = clean_cancel_reason(reason)
    promise = await get_promise(session, scope, promise_id)
    if case_id is not None and promise.case_id != case_id:
        raise promise_not_found(promise_id)
    work = await begin_case_work(session, scope, promise.case_id, user_id, today=today, now=now)
    await session.refresh(promise, with_for_update=True)
    if promise.status != PromiseStatus.OPEN:
        raise ConflictError(
            f"Promise {promise.id} is {PromiseStatus(promise.status).label.lower()}, not open: "
            "only an open promise can be cancelled."
        )

    promise.status = PromiseStatus.CANCELLED
    promise.status_changed_at = datetime.now(UTC)
    promise.note = _append_line(promise.note, f"Cancelled: {text}")
    case = work.case
    case.promise_due_on = None
    case.next_action_on = work.today
    case.next_action_at = None
    await refresh_case_priority(session, case, today=work.today)
    detail = {"case_id": case.id}
    await record_audit(session, user_id, PROMISE_CANCELLED, "promise", promise.id, case.client_id, detail)
    await session.commit()
    return promise


@dataclass(frozen=True)
class PromiseView:
    """A promise with its instalments and the numbers of the invoices it covers."""

    promise: Promise
    instalments: list[PromiseInstalment]
    invoice_numbers: list[str]


async def list_case_promises(session: AsyncSession, scope: Scope, case_id: int) -> list[PromiseView]:
    """Return the case's promises, newest first; raise NotFoundError when the case is outside ``scope``."""
    await get_case_in_scope(session, scope, case_id)
    query = (
        select(Promise)
        .where(Promise.case_id == case_id, Promise.client_id.in_(scope.client_ids))
        .order_by(Promise.id.desc())
    )
    promises = list((await session.scalars(query)).all())
    return await promise_views(session, promises)


async def promise_views(session: AsyncSession, promises: list[Promise]) -> list[PromiseView]:
    if not promises:
        return []
    ids = [promise.id for promise in promises]
    instalments: dict[int, list[PromiseInstalment]] = {promise_id: [] for promise_id in ids}
    rows = await session.scalars(
        select(PromiseInstalment)
        .where(PromiseInstalment.promise_id.in_(ids))
        .order_by(PromiseInstalment.promise_id, PromiseInstalment.sequence)
    )
    for row in rows:
        instalments[row.promise_id].append(row)
    numbers: dict[int, list[str]] = {promise_id: [] for promise_id in ids}
    invoice_rows = await session.execute(
        select(PromiseInvoice.promise_id, Invoice.number)
        .join(Invoice, Invoice.id == PromiseInvoice.invoice_id)
        .where(PromiseInvoice.promise_id.in_(ids))
        .order_by(Invoice.due_date, Invoice.number)
    )
    for promise_id, number in invoice_rows:
        numbers[promise_id].append(number)
    return [PromiseView(promise, instalments[promise.id], numbers[promise.id]) for promise in promises]
