"""Deciding promises from payments: open, kept, partly kept or broken.

The rules, applied by ``evaluate_promises`` without touching the database:

- Each payment of the debtor in the client's currency, of any source,
  counts with the money it brought to the invoices the promises cover
  (see ``_load_payments``) toward one promise: among the
  non-cancelled promises made on or before the payment day, the one made
  last (by made_on, then id). A promise made after an earlier one was
  decided thus takes the money paid from its own day on, and the earlier
  one keeps only what came before. Payments dated before every promise
  count for none, and so do payments of zero or less.
- Payments are poured oldest first (by day, then id) into the promise's
  instalments in sequence, each filled up to its amount. Money beyond the
  last instalment's amount stays on the last instalment, so ``paid_minor``
  shows everything received toward the promise.
- Money is on time for an instalment when paid on or before its due date
  plus the client's grace days.
- An instalment is kept once its on-time money reaches its amount. After
  its due date plus grace it is partly kept with some on-time money and
  broken with none; before that it is open.
- A promise is kept when every instalment is kept. Otherwise, once any
  instalment is partly kept or broken, the promise is partly kept when any
  of its instalments received on-time money, else broken. Otherwise open.

Evaluation depends only on the payments and ``today``, so running it again
after a late payment file arrives corrects earlier results.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.services import PROMISE_STATUS_CHANGED, record_audit
from hub.cases.models import Case
from hub.cases.priority import case_priority, client_today, priority_context
from hub.clients.models import Client
from hub.invoices.models import Invoice, Payment, PaymentAllocation, PaymentSource
from hub.promises.models import Promise, PromiseInstalment, PromiseInvoice, PromiseStatus

DECIDED_AGAINST = (PromiseStatus.PARTLY_KEPT, PromiseStatus.BROKEN)


@dataclass(frozen=True)
class InstalmentTerms:
    sequence: int
    due_on: date
    amount_minor: int


@dataclass(frozen=True)
class PromiseTerms:
    """What evaluation reads of one non-cancelled promise; ``key`` identifies it in the results."""

    key: int
    made_on: date
    instalments: Sequence[InstalmentTerms]


@dataclass(frozen=True)
class PaymentFact:
    """A payment of the debtor: its day and amount; ``key`` orders payments of the same day."""

    key: int
    paid_on: date
    amount_minor: int


@dataclass(frozen=True)
class InstalmentResult:
    sequence: int
    due_on: date
    paid_minor: int
    paid_on_time_minor: int
    status: PromiseStatus


@dataclass(frozen=True)
class PromiseResult:
    status: PromiseStatus
    paid_minor: int
    paid_on_time_minor: int
    # Sum of the instalments whose due date plus grace has passed.
    due_minor: int
    instalments: list[InstalmentResult]

    @property
    def next_open(self) -> InstalmentResult | None:
        """The first instalment still open, or None."""
        return next((item for item in self.instalments if item.status == PromiseStatus.OPEN), None)


@dataclass
class _Bucket:
    terms: InstalmentTerms
    paid_minor: int = 0
    paid_on_time_minor: int = 0


def _receiving_promise(promises: Sequence[PromiseTerms], paid_on: date) -> PromiseTerms | None:
    eligible = [promise for promise in promises if promise.made_on <= paid_on]
    return max(eligible, key=lambda promise: (promise.made_on, promise.key), default=None)


def _pour(buckets: list[_Bucket], payment: PaymentFact, grace: timedelta) -> None:
    remaining = payment.amount_minor
    for index, bucket in enumerate(buckets):
        if remaining <= 0:
            break
        is_last = index == len(buckets) - 1
        room = bucket.terms.amount_minor - bucket.paid_minor
        share = remaining if is_last else min(max(room, 0), remaining)
        if share <= 0:
            continue
        bucket.paid_minor += share
        if payment.paid_on <= bucket.terms.due_on + grace:
            bucket.paid_on_time_minor += share
        remaining -= share


def _instalment_status(bucket: _Bucket, grace: timedelta, today: date) -> PromiseStatus:
    if bucket.paid_on_time_minor >= bucket.terms.amount_minor:
        return PromiseStatus.KEPT
    if today > bucket.terms.due_on + grace:
        return PromiseStatus.PARTLY_KEPT if bucket.paid_on_time_minor > 0 else PromiseStatus.BROKEN
    return PromiseStatus.OPEN


def _promise_result(buckets: list[_Bucket], grace: timedelta, today: date) -> PromiseResult:
    items = [
        InstalmentResult(
            bucket.terms.sequence,
            bucket.terms.due_on,
            bucket.paid_minor,
            bucket.paid_on_time_minor,
            _instalment_status(bucket, grace, today),
        )
        for bucket in buckets
    ]
    on_time = sum(item.paid_on_time_minor for item in items)
    if items and all(item.status == PromiseStatus.KEPT for item in items):
        status = PromiseStatus.KEPT
    elif any(item.status in DECIDED_AGAINST for item in items):
        status = PromiseStatus.PARTLY_KEPT if on_time > 0 else PromiseStatus.BROKEN
    else:
        status = PromiseStatus.OPEN
    due = sum(bucket.terms.amount_minor for bucket in buckets if today > bucket.terms.due_on + grace)
    return PromiseResult(status, sum(item.paid_minor for item in items), on_time, due, items)


def evaluate_promises(
    promises: Sequence[PromiseTerms], payments: Sequence[PaymentFact], grace_days: int, today: date
) -> dict[int, PromiseResult]:
    """Return the result of each promise, by key, under the rules in this module's docstring."""
    grace = timedelta(days=max(grace_days, 0))
    buckets = {
        promise.key: [_Bucket(terms) for terms in sorted(promise.instalments, key=lambda item: item.sequence)]
        for promise in promises
    }
    for payment in sorted(payments, key=lambda item: (item.paid_on, item.key)):
        if payment.amount_minor <= 0:
            continue
        receiver = _receiving_promise(promises, payment.paid_on)
        if receiver is not None and buckets[receiver.key]:
            _pour(buckets[receiver.key], payment, grace)
    return {key: _promise_result(items, grace, today) for key, items in buckets.items()}


async def _load_promises(
    session: AsyncSession, client: Client, debtor_ids: Collection[int]
) -> tuple[list[Promise], dict[int, list[PromiseInstalment]]]:
    promises = list(
        (
            await session.scalars(
                select(Promise)
                .where(
                    Promise.client_id == client.id,
                    Promise.debtor_id.in_(list(debtor_ids)),
                    Promise.status != PromiseStatus.CANCELLED,
                )
                .order_by(Promise.id)
            )
        ).all()
    )
    instalments: dict[int, list[PromiseInstalment]] = {promise.id: [] for promise in promises}
    if promises:
        rows = await session.scalars(
            select(PromiseInstalment)
            .where(PromiseInstalment.promise_id.in_(list(instalments)))
            .order_by(PromiseInstalment.promise_id, PromiseInstalment.sequence)
        )
        for row in rows:
            instalments[row.promise_id].append(row)
    return promises, instalments


async def _covered_invoices(session: AsyncSession, promises: Sequence[Promise]) -> dict[int, set[int]]:
    """Return, per debtor, the invoices its non-cancelled promises cover."""
    debtor_of = {promise.id: promise.debtor_id for promise in promises}
    rows = await session.execute(
        select(PromiseInvoice.promise_id, PromiseInvoice.invoice_id).where(
            PromiseInvoice.promise_id.in_(list(debtor_of))
        )
    )
    covered: dict[int, set[int]] = {}
    for promise_id, invoice_id in rows:
        covered.setdefault(debtor_of[promise_id], set()).add(invoice_id)
    return covered


async def _load_payments(
    session: AsyncSession, client: Client, promises: Sequence[Promise]
) -> dict[int, list[PaymentFact]]:
    """Return, per debtor, the money of each payment that counts toward the debtor's promises.

    A payment counts with its allocations to covered invoices plus its
    unallocated remainder, so money the debtor sent for an invoice no promise
    covers does not make a promise kept. A settlement payment counts only when
    its invoice is covered, and only for the part of that invoice that no
    recorded payment or credit explains, so a bank payment and the settled date
    of the same invoice are not counted twice. A debtor whose promises cover no
    invoice has every payment counted in full.
    """
    debtor_ids = {promise.debtor_id for promise in promises}
    covered = await _covered_invoices(session, promises)
    payments = (
        await session.scalars(
            select(Payment).where(
                Payment.client_id == client.id,
                Payment.debtor_id.in_(list(debtor_ids)),
                Payment.currency == client.currency,
            )
        )
    ).all()
    allocated: dict[int, dict[int, int]] = {}
    if payments:
        rows = await session.execute(
            select(PaymentAllocation.payment_id, PaymentAllocation.invoice_id, PaymentAllocation.amount_minor).where(
                PaymentAllocation.payment_id.in_([payment.id for payment in payments])
            )
        )
        for payment_id, invoice_id, amount_minor in rows:
            allocated.setdefault(payment_id, {})[invoice_id] = amount_minor
    settled_ids = [p.invoice_id for p in payments if p.source == PaymentSource.SETTLEMENT and p.invoice_id is not None]
    unexplained: dict[int, int] = {}
    if settled_ids:
        invoices = await session.scalars(select(Invoice).where(Invoice.id.in_(settled_ids)))
        unexplained = {invoice.id: max(invoice.remaining_minor(), 0) for invoice in invoices}

    by_debtor: dict[int, list[PaymentFact]] = {}
    for payment in payments:
        if payment.debtor_id is None:
            continue
        invoices_covered = covered.get(payment.debtor_id)
        if payment.source == PaymentSource.SETTLEMENT:
            if payment.invoice_id is None:
                counted = payment.amount_minor
            elif invoices_covered is None or payment.invoice_id in invoices_covered:
                counted = unexplained.get(payment.invoice_id, 0)
            else:
                counted = 0
        elif invoices_covered is None:
            counted = payment.amount_minor
        else:
            shares = allocated.get(payment.id, {})
            counted = payment.unallocated_minor + sum(
                amount for invoice_id, amount in shares.items() if invoice_id in invoices_covered
            )
        by_debtor.setdefault(payment.debtor_id, []).append(PaymentFact(payment.id, payment.paid_on, counted))
    return by_debtor


def _apply_instalments(rows: list[PromiseInstalment], result: PromiseResult) -> None:
    by_sequence = {item.sequence: item for item in result.instalments}
    for row in rows:
        item = by_sequence[row.sequence]
        row.paid_minor = item.paid_minor
        row.paid_on_time_minor = item.paid_on_time_minor
        row.status = item.status


def schedule_open_promise(case: Case, due_on: date, grace_days: int) -> None:
    """Keep ``case`` out of the call queue until the day after ``due_on`` plus grace."""
    case.promise_due_on = due_on
    case.next_action_on = due_on + timedelta(days=max(grace_days, 0) + 1)
    case.next_action_at = None


def _apply_case_effects(case: Case, previous: PromiseStatus, result: PromiseResult, grace: int, today: date) -> None:
    """Move the case after its latest promise's evaluation.

    An open promise holds the case until its next open instalment's date
    plus grace, rescheduled only when that date changes, so an agent's own
    next action stays. While the promise is open, a call-back set for a
    time of day stays too. A promise that turns partly kept or broken puts
    the case back in the call queue today with raised urgency; one that
    turns kept brings it back for the rest of the balance.
    """
    next_open = result.next_open
    if result.status == PromiseStatus.OPEN and next_open is not None:
        if case.promise_due_on == next_open.due_on:
            return
        if case.next_action_at is not None:
            # A call-back agreed for a time of day stays: only the promise date moves.
            case.promise_due_on = next_open.due_on
            return
        schedule_open_promise(case, next_open.due_on, grace)
        return
    if result.status == previous:
        return
    case.promise_due_on = None
    if result.status in DECIDED_AGAINST:
        case.broken_promise_on = today
        case.next_action_on = today
        case.next_action_at = None
        return
    if previous in DECIDED_AGAINST:
        case.broken_promise_on = None
    if case.next_action_on is None or case.next_action_on > today:
        case.next_action_on = today
        case.next_action_at = None


def promise_terms(promise: Promise, rows: Sequence[PromiseInstalment]) -> PromiseTerms:
    instalments = [InstalmentTerms(row.sequence, row.due_on, row.amount_minor) for row in rows]
    return PromiseTerms(promise.id, promise.made_on, instalments)


async def evaluate_debtor_promises(
    session: AsyncSession, client: Client, debtor_ids: Collection[int], today: date | None = None
) -> None:
    """Re-evaluate every promise of the cases of ``debtor_ids`` against their payments; flush, never commit.

    ``today`` defaults to today in the client's time zone. Statuses and paid
    amounts of promises and instalments are stored, each status change is
    audited, and the case of each debtor follows its latest promise (see
    _apply_case_effects) with its priority recomputed.
    """
    if not debtor_ids:
        return
    today = today or client_today(client)
    await session.flush()
    promises, instalments = await _load_promises(session, client, debtor_ids)
    if not promises:
        return
    payments = await _load_payments(session, client, promises)
    by_case: dict[int, list[Promise]] = {}
    for promise in promises:
        by_case.setdefault(promise.case_id, []).append(promise)
    cases = {case.id: case for case in await session.scalars(select(Case).where(Case.id.in_(list(by_case))))}

    now = datetime.now(UTC)
    changed_cases = []
    for case_id, case_promises in by_case.items():
        debtor_payments = payments.get(case_promises[0].debtor_id, [])
        case_file = cases[case_id]
        before = _case_state(case_file)
        await _evaluate_case(session, client, case_file, case_promises, instalments, debtor_payments, today, now)
        if _case_state(case_file) != before:
            changed_cases.append(case_file)

    if changed_cases:
        await session.flush()
        context = await priority_context(session, client, today)
        for changed in changed_cases:
            changed.priority = case_priority(changed, context)
    await session.flush()


async def _evaluate_case(
    session: AsyncSession,
    client: Client,
    case_file: Case,
    promises: list[Promise],
    instalments: dict[int, list[PromiseInstalment]],
    payments: list[PaymentFact],
    today: date,
    now: datetime,
) -> None:
    grace = client.promise_grace_days
    terms = [promise_terms(promise, instalments[promise.id]) for promise in promises]
    results = evaluate_promises(terms, payments, grace, today)
    latest = max(promises, key=lambda promise: (promise.made_on, promise.id))
    for promise in promises:
        result = results[promise.id]
        previous = PromiseStatus(promise.status)
        _apply_instalments(instalments[promise.id], result)
        promise.paid_minor = result.paid_minor
        promise.paid_on_time_minor = result.paid_on_time_minor
        promise.due_minor = result.due_minor
        if promise is latest:
            _apply_case_effects(case_file, previous, result, grace, today)
        if result.status == previous:
            continue
        promise.status = result.status
        promise.status_changed_at = now
        detail = {"case_id": case_file.id, "previous": previous.value, "status": result.status.value}
        await record_audit(session, None, PROMISE_STATUS_CHANGED, "promise", promise.id, client.id, detail)


def _case_state(case: Case) -> tuple[object, ...]:
    return (case.promise_due_on, case.next_action_on, case.next_action_at, case.broken_promise_on)


async def debtors_with_open_promises(session: AsyncSession, client: Client) -> list[int]:
    """Return the debtors of ``client`` with an open promise or a promise with an instalment still open."""
    open_instalment = (
        select(PromiseInstalment.id)
        .where(PromiseInstalment.promise_id == Promise.id, PromiseInstalment.status == PromiseStatus.OPEN)
        .exists()
    )
    query = (
        select(Promise.debtor_id)
        .where(
            Promise.client_id == client.id,
            Promise.status != PromiseStatus.CANCELLED,
            or_(Promise.status == PromiseStatus.OPEN, open_instalment),
        )
        .distinct()
        .order_by(Promise.debtor_id)
    )
    return list((await session.scalars(query)).all())


async def kept_rate(
    session: AsyncSession, client: Client, case_id: int | None = None, *, today: date | None = None
) -> tuple[int, int]:
    """Return (kept, due) in minor units: promised money paid on time, and promised money past its date plus grace.

    Only instalments of non-cancelled promises whose due date plus the
    client's grace days lies before ``today`` (default: today in the
    client's time zone) count; on-time money above an instalment's amount
    does not.
    """
    today = today or client_today(client)
    last_due_on = today - timedelta(days=max(client.promise_grace_days, 0) + 1)
    kept = sql_case(
        (PromiseInstalment.paid_on_time_minor < PromiseInstalment.amount_minor, PromiseInstalment.paid_on_time_minor),
        else_=PromiseInstalment.amount_minor,
    )
    conditions = [
        Promise.client_id == client.id,
        Promise.status != PromiseStatus.CANCELLED,
        PromiseInstalment.due_on <= last_due_on,
    ]
    if case_id is not None:
        conditions.append(Promise.case_id == case_id)
    query = (
        select(func.coalesce(func.sum(kept), 0), func.coalesce(func.sum(PromiseInstalment.amount_minor), 0))
        .select_from(PromiseInstalment)
        .join(Promise, Promise.id == PromiseInstalment.promise_id)
        .where(*conditions)
    )
    row = (await session.execute(query)).one()
    return int(row[0]), int(row[1])
