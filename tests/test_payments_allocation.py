"""Recording payments: allocation to invoices, upserts on the reference, and the cases and balances that follow."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.errors import ConflictError, ValidationError
from hub.invoices.models import Invoice, Payment, PaymentAllocation, PaymentSource
from hub.payments.services import (
    allocate_payment_by_hand,
    cash_received,
    record_payment,
    retry_unallocated_payments,
)
from tests.factories import add_dispute
from tests.payments_factories import (
    PaymentWorld,
    add_invoice,
    allocations_of,
    build_payment_world,
    case_of,
    payment_data,
    record,
    reload_invoice,
    reload_payment,
)


@pytest.fixture
async def world(session: AsyncSession) -> PaymentWorld:
    return await build_payment_world(session)


async def test_partial_payment_leaves_rest_open(session: AsyncSession, world: PaymentWorld) -> None:
    invoice = await add_invoice(session, world.client, world.debtors["D1"], "F-1", 10_000, -10)

    recorded = await record(session, world.client, payment_data("P-1", 4_000, invoice="F-1"))

    invoice = await reload_invoice(session, invoice)
    assert recorded.outcome == "inserted"
    assert recorded.payment.debtor_id == world.debtors["D1"].id
    assert recorded.payment.invoice_id == invoice.id
    assert recorded.payment.unallocated_minor == 0
    assert recorded.payment.unallocated_reason is None
    assert invoice.paid_minor == 4_000
    assert invoice.open_minor == 6_000
    assert await allocations_of(session, "P-1") == {"F-1": 4_000}
    assert (await case_of(session, world.debtors["D1"])).open_minor == 6_000


async def test_remainder_goes_oldest_first(session: AsyncSession, world: PaymentWorld) -> None:
    debtor = world.debtors["D1"]
    await add_invoice(session, world.client, debtor, "F-NEW", 3_000, 20)
    await add_invoice(session, world.client, debtor, "F-OLD", 2_000, -40)
    await add_invoice(session, world.client, debtor, "F-MID", 2_500, -5)
    await add_invoice(session, world.client, debtor, "F-QUOTED", 1_000, 10)

    await record(session, world.client, payment_data("P-1", 5_000, invoice="F-QUOTED"))

    assert await allocations_of(session, "P-1") == {"F-QUOTED": 1_000, "F-OLD": 2_000, "F-MID": 2_000}
    assert (await case_of(session, debtor)).open_minor == 3_500


async def test_overpayment_keeps_remainder_unallocated(session: AsyncSession, world: PaymentWorld) -> None:
    invoice = await add_invoice(session, world.client, world.debtors["D1"], "F-1", 10_000, -10)

    recorded = await record(session, world.client, payment_data("P-1", 12_550, invoice="F-1"))

    invoice = await reload_invoice(session, invoice)
    assert invoice.open_minor == 0
    assert invoice.paid_minor == 10_000
    assert recorded.payment.unallocated_minor == 2_550
    assert recorded.payment.unallocated_reason is not None
    assert recorded.payment.unallocated_reason.startswith("overpayment of €25.50: ")
    assert "debtor D1" in recorded.payment.unallocated_reason


async def test_unknown_invoice_keeps_whole_amount(session: AsyncSession, world: PaymentWorld) -> None:
    await add_invoice(session, world.client, world.debtors["D1"], "F-1", 10_000, -10)

    recorded = await record(session, world.client, payment_data("P-1", 3_000, invoice="F-404", debtor="D1"))

    assert recorded.payment.unallocated_minor == 3_000
    assert recorded.payment.unallocated_reason == "invoice F-404 not found"
    assert recorded.payment.invoice_id is None
    assert recorded.payment.debtor_id == world.debtors["D1"].id
    assert await allocations_of(session, "P-1") == {}
    assert (await case_of(session, world.debtors["D1"])).open_minor == 10_000


async def test_later_invoice_takes_waiting_payment(session: AsyncSession, world: PaymentWorld) -> None:
    await record(session, world.client, payment_data("P-1", 3_000, invoice="F-9"))
    invoice = await add_invoice(session, world.client, world.debtors["D2"], "F-9", 5_000, -3)

    allocated = await retry_unallocated_payments(session, world.client)
    await session.commit()

    payment = await reload_payment(session, "P-1")
    invoice = await reload_invoice(session, invoice)
    assert allocated == 1
    assert payment.debtor_id == world.debtors["D2"].id
    assert payment.invoice_id == invoice.id
    assert payment.unallocated_minor == 0
    assert payment.unallocated_reason is None
    assert invoice.open_minor == 2_000
    assert await retry_unallocated_payments(session, world.client) == 0


async def test_retry_keeps_other_debtors_payment(session: AsyncSession, world: PaymentWorld) -> None:
    await record(session, world.client, payment_data("P-1", 3_000, invoice="F-9", debtor="D1"))
    invoice = await add_invoice(session, world.client, world.debtors["D2"], "F-9", 5_000, -3)

    allocated = await retry_unallocated_payments(session, world.client)
    await session.commit()

    payment = await reload_payment(session, "P-1")
    assert allocated == 0
    assert payment.unallocated_minor == 3_000
    assert payment.unallocated_reason == "invoice F-9 belongs to debtor D2, not to debtor D1 of the payment"
    assert (await reload_invoice(session, invoice)).open_minor == 5_000


async def test_same_values_change_nothing(session: AsyncSession, world: PaymentWorld) -> None:
    invoice = await add_invoice(session, world.client, world.debtors["D1"], "F-1", 10_000, -10)
    await record(session, world.client, payment_data("P-1", 4_000, invoice="F-1", days_ago=3))

    again = await record(session, world.client, payment_data("P-1", 4_000, invoice="F-1", days_ago=3))

    assert again.outcome == "unchanged"
    assert (await reload_invoice(session, invoice)).open_minor == 6_000
    assert await allocations_of(session, "P-1") == {"F-1": 4_000}


@pytest.mark.parametrize(
    ("changed", "expected_allocations", "expected_open"),
    [
        ({"amount_minor": 7_000}, {"F-1": 7_000}, {"F-1": 3_000, "F-2": 5_000}),
        ({"invoice": "F-2"}, {"F-2": 4_000}, {"F-1": 10_000, "F-2": 1_000}),
        ({"invoice": "F-3", "debtor": "D2"}, {"F-3": 4_000}, {"F-1": 10_000, "F-2": 5_000}),
    ],
)
async def test_changed_payment_is_reallocated(
    session: AsyncSession,
    world: PaymentWorld,
    changed: dict[str, object],
    expected_allocations: dict[str, int],
    expected_open: dict[str, int],
) -> None:
    await add_invoice(session, world.client, world.debtors["D1"], "F-1", 10_000, -10)
    await add_invoice(session, world.client, world.debtors["D1"], "F-2", 5_000, -5)
    f3 = await add_invoice(session, world.client, world.debtors["D2"], "F-3", 6_000, -5)
    await record(session, world.client, payment_data("P-1", 4_000, invoice="F-1"))
    values: dict[str, object] = {"amount_minor": 4_000, "invoice": "F-1", **changed}
    amount = values.pop("amount_minor")

    again = await record(session, world.client, payment_data("P-1", amount, **values))  # type: ignore[arg-type]

    invoices = {i.number: i for i in await session.scalars(select(Invoice).execution_options(populate_existing=True))}
    assert again.outcome == "updated"
    assert await allocations_of(session, "P-1") == expected_allocations
    assert {number: invoices[number].open_minor for number in ("F-1", "F-2")} == expected_open
    assert invoices["F-3"].open_minor == 6_000 - expected_allocations.get("F-3", 0)
    assert sum(invoice.paid_minor for invoice in invoices.values()) == amount
    assert (await case_of(session, world.debtors["D1"])).open_minor == sum(expected_open.values())
    assert (await case_of(session, world.debtors["D2"])).open_minor == (await reload_invoice(session, f3)).open_minor


async def test_changed_date_is_reallocated(session: AsyncSession, world: PaymentWorld) -> None:
    await add_invoice(session, world.client, world.debtors["D1"], "F-1", 10_000, -10)
    await record(session, world.client, payment_data("P-1", 4_000, invoice="F-1", days_ago=3))

    again = await record(session, world.client, payment_data("P-1", 4_000, invoice="F-1", days_ago=2))

    assert again.outcome == "updated"
    assert again.payment.paid_on == date.today() - timedelta(days=2)
    assert await allocations_of(session, "P-1") == {"F-1": 4_000}


async def test_disputed_invoice_is_skipped(session: AsyncSession, world: PaymentWorld) -> None:
    debtor = world.debtors["D1"]
    disputed = await add_invoice(session, world.client, debtor, "F-OLD", 2_000, -40)
    await add_invoice(session, world.client, debtor, "F-NEW", 3_000, -5)
    await add_dispute(session, [disputed])
    await session.commit()

    recorded = await record(session, world.client, payment_data("P-1", 4_000, debtor="D1"))

    assert await allocations_of(session, "P-1") == {"F-NEW": 3_000}
    assert recorded.payment.unallocated_minor == 1_000
    assert (await reload_invoice(session, disputed)).open_minor == 2_000


async def test_quoted_disputed_invoice_is_paid(session: AsyncSession, world: PaymentWorld) -> None:
    disputed = await add_invoice(session, world.client, world.debtors["D1"], "F-1", 2_000, -40)
    await add_dispute(session, [disputed])
    await session.commit()

    await record(session, world.client, payment_data("P-1", 2_000, invoice="F-1"))

    assert await allocations_of(session, "P-1") == {"F-1": 2_000}


async def test_credit_notes_and_settled_skipped(session: AsyncSession, world: PaymentWorld) -> None:
    debtor = world.debtors["D1"]
    await add_invoice(session, world.client, debtor, "CN-1", -1_500, -60)
    await add_invoice(session, world.client, debtor, "F-SETTLED", 4_000, -50, settled=True)
    await add_invoice(session, world.client, debtor, "F-OPEN", 3_000, -5)

    recorded = await record(session, world.client, payment_data("P-1", 5_000, debtor="D1"))

    assert await allocations_of(session, "P-1") == {"F-OPEN": 3_000}
    assert recorded.payment.unallocated_minor == 2_000


async def test_contradicting_debtor_is_rejected(session: AsyncSession, world: PaymentWorld) -> None:
    invoice = await add_invoice(session, world.client, world.debtors["D1"], "F-1", 10_000, -10)
    invoice_id = invoice.id

    with pytest.raises(ValidationError) as raised:
        await record_payment(session, world.client, payment_data("P-1", 4_000, invoice="F-1", debtor="D2"))
    await session.rollback()

    assert "debtor_reference" in raised.value.field_errors
    assert "contradicts invoice 'F-1', which belongs to debtor 'D1'" in str(raised.value)
    assert await session.scalar(select(Payment.id)) is None
    assert (await session.get_one(Invoice, invoice_id, populate_existing=True)).open_minor == 10_000


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (payment_data("P-1", 0, debtor="D1"), "amount_minor", "Amount 0 is not positive"),
        (payment_data("P-1", -500, debtor="D1"), "amount_minor", "refunds are not payments"),
        (payment_data("P-1", 500, debtor="D1", currency="USD"), "currency", "differs from the currency EUR"),
        (payment_data("", 500, debtor="D1"), "reference", "Payment reference is missing"),
        (payment_data("P" * 65, 500, debtor="D1"), "reference", "use at most 64"),
        (payment_data("P-1", 500, debtor="D1", days_ago=-3), "paid_on", "is after today"),
        (payment_data("P-1", 500, debtor="D\x07"), "debtor_reference", "control character U+0007"),
    ],
)
async def test_invalid_payment_is_rejected(
    session: AsyncSession, world: PaymentWorld, data: object, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        await record_payment(session, world.client, data)  # type: ignore[arg-type]

    assert field in raised.value.field_errors
    assert message in raised.value.field_errors[field]


async def test_debtor_reference_alone_allocates(session: AsyncSession, world: PaymentWorld) -> None:
    await add_invoice(session, world.client, world.debtors["D2"], "F-1", 1_000, -10)

    recorded = await record(session, world.client, payment_data("P-1", 800, debtor="D2"))

    assert recorded.payment.debtor_id == world.debtors["D2"].id
    assert recorded.payment.invoice_id is None
    assert await allocations_of(session, "P-1") == {"F-1": 800}


@pytest.mark.parametrize(
    ("debtor", "reason"),
    [
        ("D-404", "debtor D-404 not found: import the debtor, then import this payment again"),
        (None, "no invoice number or debtor reference given: allocate it to an invoice by hand"),
    ],
)
async def test_payment_without_debtor_stays_unallocated(
    session: AsyncSession, world: PaymentWorld, debtor: str | None, reason: str
) -> None:
    recorded = await record(session, world.client, payment_data("P-1", 800, debtor=debtor))

    assert recorded.payment.debtor_id is None
    assert recorded.payment.unallocated_minor == 800
    assert recorded.payment.unallocated_reason == reason


async def test_settlement_reference_is_rejected(session: AsyncSession, world: PaymentWorld) -> None:
    session.add(
        Payment(
            client_id=world.client.id,
            debtor_id=world.debtors["D1"].id,
            reference="settled:F-1",
            currency="EUR",
            amount_minor=1_000,
            paid_on=date(2025, 1, 1),
            source=PaymentSource.SETTLEMENT,
            invoice_reference="F-1",
        )
    )
    await session.commit()

    with pytest.raises(ValidationError, match="belongs to the payment implied by the settled date of invoice F-1"):
        await record_payment(session, world.client, payment_data("settled:F-1", 500, debtor="D1"))


async def test_hand_allocation_takes_remainder(session: AsyncSession, world: PaymentWorld) -> None:
    await add_invoice(session, world.client, world.debtors["D1"], "F-1", 1_000, -10)
    later = await add_invoice(session, world.client, world.debtors["D1"], "F-2", 5_000, 10)
    # P-1 pays F-1 in full and 2,000 of F-2, which leaves 3,000 of F-2 open.
    await record(session, world.client, payment_data("P-1", 3_000, invoice="F-1"))
    await record(session, world.client, payment_data("P-2", 9_000, invoice="F-404", debtor="D1"))
    payment = await reload_payment(session, "P-2")

    invoice, taken = await allocate_payment_by_hand(session, payment, "F-2", actor=None)
    await session.commit()

    payment = await reload_payment(session, "P-2")
    assert invoice.id == later.id
    assert taken == 3_000
    assert payment.unallocated_minor == 6_000
    assert payment.invoice_id == later.id
    assert payment.unallocated_reason == "€60.00 left after allocating €30.00 to invoice F-2 by hand"
    assert (await reload_invoice(session, later)).open_minor == 0
    assert await allocations_of(session, "P-2") == {"F-2": 3_000}


async def test_hand_allocation_to_other_debtor_rejected(session: AsyncSession, world: PaymentWorld) -> None:
    await add_invoice(session, world.client, world.debtors["D2"], "F-2", 5_000, 10)
    await record(session, world.client, payment_data("P-1", 900, debtor="D1"))
    payment = await reload_payment(session, "P-1")

    with pytest.raises(ValidationError, match="Invoice 'F-2' belongs to debtor 'D2', not to debtor 'D1'"):
        await allocate_payment_by_hand(session, payment, "F-2")


async def test_hand_allocation_needs_remainder(session: AsyncSession, world: PaymentWorld) -> None:
    await add_invoice(session, world.client, world.debtors["D1"], "F-1", 5_000, -10)
    await record(session, world.client, payment_data("P-1", 900, invoice="F-1"))
    payment = await reload_payment(session, "P-1")

    with pytest.raises(ConflictError, match="has no unallocated remainder"):
        await allocate_payment_by_hand(session, payment, "F-1")


async def test_paid_minor_matches_allocations(session: AsyncSession, world: PaymentWorld) -> None:
    debtor = world.debtors["D1"]
    for number, amount, due in (("F-1", 3_000, -30), ("F-2", 4_000, -20), ("F-3", 5_000, -10)):
        await add_invoice(session, world.client, debtor, number, amount, due)
    for reference, amount in (("P-1", 2_500), ("P-2", 2_500), ("P-3", 6_000)):
        await record(session, world.client, payment_data(reference, amount, debtor="D1"))
    await record(session, world.client, payment_data("P-2", 1_000, debtor="D1"))

    invoices = (await session.scalars(select(Invoice).execution_options(populate_existing=True))).all()
    allocations = (await session.scalars(select(PaymentAllocation))).all()
    for invoice in invoices:
        allocated = sum(item.amount_minor for item in allocations if item.invoice_id == invoice.id)
        assert invoice.paid_minor == allocated, invoice.number
        assert invoice.open_minor == invoice.amount_minor - allocated, invoice.number
    assert sum(item.amount_minor for item in allocations) == 2_500 + 1_000 + 6_000


async def test_cash_received_counts_period(session: AsyncSession, world: PaymentWorld) -> None:
    d1, d2 = world.debtors["D1"], world.debtors["D2"]
    settled = await add_invoice(session, world.client, d1, "F-S", 7_000, -60, settled=True)
    await add_invoice(session, world.client, d2, "F-2", 9_000, -5)
    start, end = date.today() - timedelta(days=10), date.today() - timedelta(days=1)
    # The bank payment of F-S explains 3,000 of the settled amount, so its settlement counts 4,000.
    await record(session, world.client, payment_data("P-1", 3_000, invoice="F-S", days_ago=2))
    await record(session, world.client, payment_data("P-2", 1_000, debtor="D2", days_ago=5))
    await record(session, world.client, payment_data("P-OLD", 500, debtor="D2", days_ago=30))
    session.add(
        Payment(
            client_id=world.client.id,
            debtor_id=d1.id,
            invoice_id=settled.id,
            reference="settled:F-S",
            currency="EUR",
            amount_minor=7_000,
            paid_on=date.today() - timedelta(days=4),
            source=PaymentSource.SETTLEMENT,
            invoice_reference="F-S",
        )
    )
    await session.commit()

    whole = await cash_received(session, world.client.id, None, start, end)
    one_debtor = await cash_received(session, world.client.id, d2.id, start, end)
    other_client = await cash_received(session, world.other_client.id, None, start, end)

    assert whole == 3_000 + 1_000 + 4_000
    assert one_debtor == 1_000
    assert other_client == 0
