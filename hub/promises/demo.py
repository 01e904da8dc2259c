"""Promises for the synthetic demo portfolio: one kept, one open and one broken, so the panel shows each."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.cases.models import Case, CaseStatus
from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.invoices.models import Payment
from hub.promises.evaluation import evaluate_debtor_promises
from hub.promises.models import Promise, PromiseInstalment, PromiseStatus

# A broken demo promise fell due this many days ago, so its grace period is over.
BROKEN_DAYS_AGO = 12


async def _last_payment(session: AsyncSession, case: Case) -> Payment | None:
    query = select(Payment).where(Payment.client_id == case.client_id, Payment.debtor_id == case.debtor_id)
    return await session.scalar(query.order_by(Payment.paid_on.desc(), Payment.id.desc()).limit(1))


async def _add_promise(
    session: AsyncSession, case: Case, agent: User, made_on: date, instalments: list[tuple[date, int]], note: str
) -> None:
    """Insert a promise made by ``agent`` on ``made_on`` in a call, with its interaction and instalments."""
    made_at = datetime.combine(made_on, time(10), UTC)
    interaction = Interaction(
        client_id=case.client_id,
        case_id=case.id,
        user_id=agent.id,
        channel=Channel.CALL,
        outcome=CallOutcome.PROMISE_TO_PAY,
        note=note,
        next_action_on=instalments[0][0],
        created_at=made_at,
    )
    session.add(interaction)
    await session.flush()
    promise = Promise(
        client_id=case.client_id,
        case_id=case.id,
        debtor_id=case.debtor_id,
        interaction_id=interaction.id,
        created_by_id=agent.id,
        currency=case.currency,
        amount_minor=sum(amount for _, amount in instalments),
        made_on=made_on,
        status=PromiseStatus.OPEN,
        paid_minor=0,
        paid_on_time_minor=0,
        due_minor=0,
        note=note,
        created_at=made_at,
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


async def seed_demo_promises(session: AsyncSession, client: Client, agent: User) -> int:
    """Add a kept, an open and a broken promise to open cases of ``client``; return how many were added.

    The kept promise matches the debtor's latest payment. The broken one
    is placed on a case without payments since before it was made.
    """
    today = client_today(client)
    cases = (
        await session.scalars(
            select(Case)
            .where(Case.client_id == client.id, Case.status == CaseStatus.OPEN, Case.open_minor > 0)
            .order_by(Case.priority.desc(), Case.id)
        )
    ).all()
    made_broken = today - timedelta(days=BROKEN_DAYS_AGO + 5)
    added: list[tuple[Case, date, list[tuple[date, int]], str]] = []
    for case in cases:
        roles = {note for _, _, _, note in added}
        payment = await _last_payment(session, case)
        if "kept" not in roles and payment is not None and payment.paid_on >= today - timedelta(days=300):
            added.append((case, payment.paid_on, [(payment.paid_on, payment.amount_minor)], "kept"))
        elif "broken" not in roles and (payment is None or payment.paid_on < made_broken):
            due = today - timedelta(days=BROKEN_DAYS_AGO)
            added.append((case, made_broken, [(due, max(case.open_minor // 2, 1))], "broken"))
        elif "open" not in roles and case.open_minor >= 3:
            share = case.open_minor // 3
            plan = [(today + timedelta(days=7 * (index + 1)), share) for index in range(3)]
            added.append((case, today, plan, "open"))
        if len(added) == 3:
            break

    notes = {
        "kept": "Promised to pay on the day; paid as agreed.",
        "broken": "Promised half the balance within a week.",
        "open": "Agreed a weekly plan of three payments.",
    }
    for case, made_on, instalments, role in added:
        await _add_promise(session, case, agent, made_on, instalments, notes[role])
    await evaluate_debtor_promises(session, client, [case.debtor_id for case, *_ in added], today)
    return len(added)
