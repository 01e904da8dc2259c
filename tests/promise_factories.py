"""Payments and promises inserted directly, for promise tests and the route check."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.invoices.models import Payment, PaymentSource
from hub.promises.models import Promise, PromiseInstalment, PromiseStatus
from tests.factories import World

_references = count(1)


async def add_payment(
    session: AsyncSession,
    case: Case,
    amount_minor: int,
    paid_on: date,
    *,
    source: PaymentSource = PaymentSource.IMPORT,
    currency: str = "EUR",
) -> Payment:
    """Insert a payment of the case's debtor with no allocation, so its whole amount is unallocated."""
    payment = Payment(
        client_id=case.client_id,
        debtor_id=case.debtor_id,
        reference=f"PAY-{next(_references):06d}",
        currency=currency,
        amount_minor=amount_minor,
        paid_on=paid_on,
        source=source,
        unallocated_minor=amount_minor,
    )
    session.add(payment)
    await session.flush()
    return payment


async def add_promise_row(
    session: AsyncSession,
    case: Case,
    instalments: Sequence[tuple[date, int]],
    *,
    made_on: date,
    status: PromiseStatus = PromiseStatus.OPEN,
) -> Promise:
    """Insert a promise with instalments given as (due_on, amount_minor), skipping the service's checks."""
    promise = Promise(
        client_id=case.client_id,
        case_id=case.id,
        debtor_id=case.debtor_id,
        currency=case.currency,
        amount_minor=sum(amount for _, amount in instalments),
        made_on=made_on,
        status=status,
        paid_minor=0,
        paid_on_time_minor=0,
        due_minor=0,
    )
    session.add(promise)
    await session.flush()
    session.add_all(
        PromiseInstalment(
            client_id=case.client_id,
            promise_id=promise.id,
            sequence=sequence,
            due_on=due_on,
            amount_minor=amount,
            paid_minor=0,
            paid_on_time_minor=0,
            status=PromiseStatus.OPEN,
        )
        for sequence, (due_on, amount) in enumerate(instalments, start=1)
    )
    await session.flush()
    return promise


async def seed_promise(session: AsyncSession, world: World) -> Promise:
    """Insert an open promise on case D-100 of the base world, due in a week."""
    today = client_today(world.client)
    return await add_promise_row(session, world.cases["D-100"], [(today + timedelta(days=7), 10_000)], made_on=today)
