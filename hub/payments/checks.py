"""Payment checks: a debtor states they already paid, and the hub waits for that payment to arrive.

An open check keeps its case out of the call queue until ``due_on``. A
payment of the debtor that arrives dated on or after the claimed payment
day (or, without one, LOOKBACK_DAYS before the check was opened) closes
the check as found. The daily job closes the checks whose ``due_on`` has
passed as not found, and the case returns to the queue.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.services import PAYMENT_CHECK_FOUND, PAYMENT_CHECK_NOT_FOUND, record_audit
from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.errors import ValidationError
from hub.interactions.models import Interaction
from hub.invoices.models import Payment
from hub.payments.models import PaymentCheck, PaymentCheckStatus
from hub.text import require_plain_text

logger = logging.getLogger(__name__)

# Calendar days the hub waits for the payment before the case returns to the call queue.
PAYMENT_CHECK_DAYS = 5
# Without a claimed day, a payment dated up to this many days before the check was opened still matches it.
LOOKBACK_DAYS = 14
CLAIMED_REFERENCE_MAX_CHARS: int = PaymentCheck.__table__.c.claimed_reference.type.length


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError(message, {field: message})


def _check_claim(
    claimed_paid_on: date | None, claimed_amount_minor: int | None, claimed_reference: str | None, today: date
) -> str | None:
    """Raise ValidationError naming the field for an impossible claim; return the reference stripped, or None."""
    if claimed_paid_on is not None and claimed_paid_on > today:
        raise _field_error(
            "claimed_paid_on",
            f"Claimed payment date {claimed_paid_on.isoformat()} is after today ({today.isoformat()}): "
            "pick the day the debtor says they paid.",
        )
    if claimed_amount_minor is not None and claimed_amount_minor <= 0:
        raise _field_error(
            "claimed_amount_minor", f"Claimed amount {claimed_amount_minor} is not positive: leave it empty or fix it."
        )
    reference = (claimed_reference or "").strip()
    require_plain_text("claimed_reference", "Payment reference", reference)
    if len(reference) > CLAIMED_REFERENCE_MAX_CHARS:
        raise _field_error(
            "claimed_reference",
            f"Payment reference is {len(reference)} characters long: use at most {CLAIMED_REFERENCE_MAX_CHARS}.",
        )
    return reference or None


async def open_payment_check(
    session: AsyncSession,
    case: Case,
    interaction: Interaction,
    *,
    claimed_paid_on: date | None,
    claimed_amount_minor: int | None,
    claimed_reference: str | None,
    today: date,
) -> PaymentCheck:
    """Open a check on ``case`` and keep the case out of the call queue until the check's due day; flush only.

    Raise ValidationError (with the field name) for a claimed day after
    ``today``, an amount that is not positive or a reference that is too long.
    """
    reference = _check_claim(claimed_paid_on, claimed_amount_minor, claimed_reference, today)
    if interaction.id is None:
        await session.flush()
    check = PaymentCheck(
        client_id=case.client_id,
        case_id=case.id,
        interaction_id=interaction.id,
        status=PaymentCheckStatus.OPEN,
        claimed_paid_on=claimed_paid_on,
        claimed_amount_minor=claimed_amount_minor,
        claimed_reference=reference,
        due_on=today + timedelta(days=PAYMENT_CHECK_DAYS),
    )
    session.add(check)
    case.next_action_on = check.due_on
    case.next_action_at = None
    await session.flush()
    return check


def earliest_payment_day(check: PaymentCheck) -> date:
    """Return the first payment day that matches ``check``: the claimed day, or LOOKBACK_DAYS before it opened."""
    if check.claimed_paid_on is not None:
        return check.claimed_paid_on
    opened_on = check.due_on - timedelta(days=PAYMENT_CHECK_DAYS)
    return opened_on - timedelta(days=LOOKBACK_DAYS)


def payment_matches(check: PaymentCheck, payment: Payment) -> bool:
    """Return whether ``payment`` is the one the debtor described to ``check``.

    The payment must be dated on or after earliest_payment_day. A claimed
    bank reference equal to the payment's reference or quoted invoice number
    (ignoring case) matches whatever the amount. Otherwise a claimed amount
    must equal the payment's amount, so an unrelated smaller payment does not
    confirm the claim.
    """
    if payment.paid_on < earliest_payment_day(check):
        return False
    if check.claimed_reference:
        claimed = check.claimed_reference.casefold()
        quoted = {payment.reference.casefold(), (payment.invoice_reference or "").casefold()}
        if claimed in quoted:
            return True
    return check.claimed_amount_minor is None or payment.amount_minor == check.claimed_amount_minor


async def _open_checks_of(
    session: AsyncSession, client: Client, debtor_ids: list[int]
) -> list[tuple[PaymentCheck, Case]]:
    query = (
        select(PaymentCheck, Case)
        .join(Case, Case.id == PaymentCheck.case_id)
        .where(
            PaymentCheck.client_id == client.id,
            PaymentCheck.status == PaymentCheckStatus.OPEN,
            Case.debtor_id.in_(debtor_ids),
        )
        .order_by(PaymentCheck.id)
        .with_for_update()
    )
    return [(check, case) for check, case in (await session.execute(query)).all()]


async def settle_payment_checks(
    session: AsyncSession,
    client: Client,
    payments: Sequence[Payment],
    *,
    today: date | None = None,
    actor: int | None = None,
    now: datetime | None = None,
) -> list[PaymentCheck]:
    """Close as found every open check of the payments' debtors that one of ``payments`` matches; flush only.

    The earliest matching payment is linked to the check. A case still
    waiting for the check's due day returns to the call queue today, so an
    agent follows up on what the payment left open.
    """
    by_debtor: dict[int, list[Payment]] = defaultdict(list)
    for payment in payments:
        if payment.debtor_id is not None and payment.client_id == client.id:
            by_debtor[payment.debtor_id].append(payment)
    if not by_debtor:
        return []

    today = today or client_today(client)
    found = []
    for check, case in await _open_checks_of(session, client, sorted(by_debtor)):
        candidates = sorted(by_debtor[case.debtor_id], key=lambda payment: (payment.paid_on, payment.id))
        payment = next((item for item in candidates if payment_matches(check, item)), None)
        if payment is None:
            continue
        check.status = PaymentCheckStatus.FOUND
        check.payment_id = payment.id
        check.resolved_at = now or datetime.now(UTC)
        if case.next_action_on == check.due_on and check.due_on > today:
            case.next_action_on = today
            case.next_action_at = None
        detail = {"payment_check_id": check.id, "payment_id": payment.id}
        await record_audit(session, actor, PAYMENT_CHECK_FOUND, "case", case.id, client.id, detail)
        found.append(check)
    await session.flush()
    return found


async def expire_payment_checks(
    session: AsyncSession, client: Client, *, today: date | None = None, now: datetime | None = None
) -> list[PaymentCheck]:
    """Close as not found the client's open checks whose due day has passed; flush only.

    A check that a payment recorded before it opened matches (the bank file
    came in before the call) is closed as found with that payment instead.
    Each case returns to the call queue today, and an audit event records
    the check.
    """
    today = today or client_today(client)
    query = (
        select(PaymentCheck, Case)
        .join(Case, Case.id == PaymentCheck.case_id)
        .where(
            PaymentCheck.client_id == client.id,
            PaymentCheck.status == PaymentCheckStatus.OPEN,
            PaymentCheck.due_on < today,
        )
        .order_by(PaymentCheck.id)
        .with_for_update()
    )
    expired = []
    for check, case in (await session.execute(query)).all():
        check.resolved_at = now or datetime.now(UTC)
        # A next action that someone set before the check's due day is already due and stays.
        if case.next_action_on is None or case.next_action_on >= check.due_on:
            case.next_action_on = today
            case.next_action_at = None
        payment_id = await _earlier_payment_id(session, check, case)
        if payment_id is not None:
            check.status = PaymentCheckStatus.FOUND
            check.payment_id = payment_id
            detail = {"payment_check_id": check.id, "payment_id": payment_id}
            await record_audit(session, None, PAYMENT_CHECK_FOUND, "case", case.id, client.id, detail)
            continue
        check.status = PaymentCheckStatus.NOT_FOUND
        detail = {"payment_check_id": check.id}
        await record_audit(session, None, PAYMENT_CHECK_NOT_FOUND, "case", case.id, client.id, detail)
        expired.append(check)
    await session.flush()
    if expired:
        logger.info("payment checks not found client_id=%d count=%d", client.id, len(expired))
    return expired


async def _earlier_payment_id(session: AsyncSession, check: PaymentCheck, case: Case) -> int | None:
    """Return the earliest payment of the case's debtor that matches ``check``, whenever it was recorded."""
    query = (
        select(Payment)
        .where(
            Payment.client_id == check.client_id,
            Payment.debtor_id == case.debtor_id,
            Payment.paid_on >= earliest_payment_day(check),
        )
        .order_by(Payment.paid_on, Payment.id)
    )
    payment = next((item for item in await session.scalars(query) if payment_matches(check, item)), None)
    return payment.id if payment is not None else None


async def clients_with_open_checks(session: AsyncSession) -> list[int]:
    """Return the ids of the clients that have an open payment check."""
    query = select(PaymentCheck.client_id).where(PaymentCheck.status == PaymentCheckStatus.OPEN).distinct()
    return sorted((await session.scalars(query)).all())
