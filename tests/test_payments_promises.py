"""Payments deciding promises: each recorded, changed or imported payment re-evaluates the debtor's promises."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.imports.services import import_table
from hub.invoices.models import Invoice
from hub.promises.evaluation import evaluate_debtor_promises
from hub.promises.models import Promise, PromiseInvoice, PromiseStatus
from tests.payments_factories import (
    PaymentWorld,
    add_invoice,
    build_payment_world,
    case_of,
    payment_data,
    record,
)
from tests.promise_factories import add_promise_row


@pytest.fixture
async def world(session: AsyncSession) -> PaymentWorld:
    world = await build_payment_world(session)
    await add_invoice(session, world.client, world.debtors["D1"], "F-1", 10_000, -30)
    return world


async def promise_status(session: AsyncSession, promise: Promise) -> PromiseStatus:
    return (await session.get_one(Promise, promise.id, populate_existing=True)).status


async def test_payment_keeps_open_promise(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    today = world.today
    promise = await add_promise_row(session, case, [(today + timedelta(days=5), 4_000)], made_on=today - timedelta(1))
    await session.commit()

    await record(session, world.client, payment_data("P-1", 4_000, invoice="F-1", paid_on=today))

    case = await case_of(session, world.debtors["D1"])
    assert await promise_status(session, promise) == PromiseStatus.KEPT
    assert case.promise_due_on is None
    assert case.broken_promise_on is None


async def test_late_file_repairs_broken_promise(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    today = world.today
    due_on = today - timedelta(days=10)
    promise = await add_promise_row(session, case, [(due_on, 4_000)], made_on=today - timedelta(days=20))
    await evaluate_debtor_promises(session, world.client, [case.debtor_id], today)
    await session.commit()
    assert await promise_status(session, promise) == PromiseStatus.BROKEN

    await record(session, world.client, payment_data("P-1", 4_000, debtor="D1", paid_on=due_on))

    assert await promise_status(session, promise) == PromiseStatus.KEPT


async def test_lowered_payment_breaks_promise_part(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    today = world.today
    due_on = today - timedelta(days=10)
    promise = await add_promise_row(session, case, [(due_on, 4_000)], made_on=today - timedelta(days=20))
    await record(session, world.client, payment_data("P-1", 4_000, debtor="D1", paid_on=due_on))
    assert await promise_status(session, promise) == PromiseStatus.KEPT

    await record(session, world.client, payment_data("P-1", 1_500, debtor="D1", paid_on=due_on))

    case = await case_of(session, world.debtors["D1"])
    assert await promise_status(session, promise) == PromiseStatus.PARTLY_KEPT
    assert case.broken_promise_on == today


async def test_import_evaluates_promises(session: AsyncSession, world: PaymentWorld, tmp_path: Path) -> None:
    case = await case_of(session, world.debtors["D1"])
    today = world.today
    promise = await add_promise_row(session, case, [(today + timedelta(days=3), 2_500)], made_on=today)
    await session.commit()
    path = tmp_path / "payments.csv"
    path.write_text(f"payment_reference,paid_on,amount,invoice_number\nBANK-1,{today.isoformat()},25.00,F-1\n")
    mapping = load_mapping(None)

    summary = await import_table(session, "payments", "acme", read_table(path, mapping), mapping)
    await session.commit()

    assert summary.inserted == 1
    assert await promise_status(session, promise) == PromiseStatus.KEPT


async def test_invoice_import_settlement_keeps_promise(
    session: AsyncSession, world: PaymentWorld, tmp_path: Path
) -> None:
    case = await case_of(session, world.debtors["D1"])
    today = world.today
    promise = await add_promise_row(session, case, [(today + timedelta(days=3), 10_000)], made_on=today)
    await session.commit()
    due = today - timedelta(days=30)
    path = tmp_path / "invoices.csv"
    path.write_text(
        "debtor_reference,invoice_number,issue_date,due_date,amount,settled_date\n"
        f"{world.debtors['D1'].reference},F-1,{due - timedelta(days=30)},{due},100.00,{today}\n"
    )
    mapping = load_mapping(None)

    await import_table(session, "invoices", "acme", read_table(path, mapping), mapping)
    await session.commit()

    assert await promise_status(session, promise) == PromiseStatus.KEPT


async def test_uncovered_invoice_payment_not_counted(session: AsyncSession, world: PaymentWorld) -> None:
    today = world.today
    covered = await session.scalar(select(Invoice).where(Invoice.number == "F-1"))
    assert covered is not None
    await add_invoice(session, world.client, world.debtors["D1"], "F-2", 5_000, -10)
    await session.commit()
    await record(session, world.client, payment_data("P-F2", 5_000, invoice="F-2", paid_on=today))
    case = await case_of(session, world.debtors["D1"])
    promise = await add_promise_row(session, case, [(today + timedelta(days=5), 4_000)], made_on=today)
    session.add(PromiseInvoice(promise_id=promise.id, invoice_id=covered.id, client_id=world.client.id))

    await evaluate_debtor_promises(session, world.client, [case.debtor_id], today)
    await session.commit()
    open_status = await promise_status(session, promise)
    await record(session, world.client, payment_data("P-F1", 4_000, invoice="F-1", paid_on=today))

    assert open_status == PromiseStatus.OPEN
    assert await promise_status(session, promise) == PromiseStatus.KEPT


async def test_kept_instalment_leaves_call_back(session: AsyncSession, world: PaymentWorld) -> None:
    today = world.today
    case = await case_of(session, world.debtors["D1"])
    first, second = today + timedelta(days=2), today + timedelta(days=9)
    await add_promise_row(session, case, [(first, 2_000), (second, 2_000)], made_on=today)
    await evaluate_debtor_promises(session, world.client, [case.debtor_id], today)
    call_back_at = datetime.combine(today + timedelta(days=3), time(14, 30), UTC)
    case.next_action_on = call_back_at.date()
    case.next_action_at = call_back_at
    await session.commit()

    await record(session, world.client, payment_data("P-1", 2_000, invoice="F-1", paid_on=today))

    case = await case_of(session, world.debtors["D1"])
    assert case.promise_due_on == second
    assert case.next_action_on == call_back_at.date()
    assert case.next_action_at == call_back_at
