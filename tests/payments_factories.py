"""Records for payment tests: a client with two debtors and their invoices, and helpers to record payments.

Client "acme" (EUR, Europe/Amsterdam) has debtors D1 and D2. Client
"globex" has debtor G1, which acme's users must not reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.cases.services import refresh_case_balances
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.invoices.models import Invoice, Payment, PaymentAllocation, PaymentSource
from hub.payments.services import PaymentData, RecordedPayment, record_payment


@dataclass
class PaymentWorld:
    client: Client
    other_client: Client
    debtors: dict[str, Debtor] = field(default_factory=dict)
    today: date = date(2000, 1, 1)


async def build_payment_world(session: AsyncSession) -> PaymentWorld:
    acme = Client(slug="acme", name="Acme Wholesale", currency="EUR", timezone="Europe/Amsterdam")
    globex = Client(slug="globex", name="Globex Retail", currency="EUR", timezone="Europe/Amsterdam")
    session.add_all([acme, globex])
    await session.flush()
    world = PaymentWorld(client=acme, other_client=globex, today=client_today(acme))
    for client, reference in ((acme, "D1"), (acme, "D2"), (globex, "G1")):
        debtor = Debtor(client_id=client.id, reference=reference, name=f"Debtor {reference}")
        session.add(debtor)
        world.debtors[reference] = debtor
    await session.flush()
    await session.commit()
    return world


async def add_invoice(
    session: AsyncSession,
    client: Client,
    debtor: Debtor,
    number: str,
    amount_minor: int,
    due_in_days: int,
    *,
    settled: bool = False,
) -> Invoice:
    """Store an invoice due ``due_in_days`` after today (negative: past due), open unless ``settled``."""
    due = client_today(client) + timedelta(days=due_in_days)
    invoice = Invoice(
        client_id=client.id,
        debtor_id=debtor.id,
        number=number,
        currency=client.currency,
        amount_minor=amount_minor,
        open_minor=0 if settled else amount_minor,
        issue_date=due - timedelta(days=30),
        due_date=due,
        settled_date=due if settled else None,
    )
    session.add(invoice)
    await session.flush()
    await refresh_case_balances(session, client, [debtor.id])
    await session.commit()
    return invoice


def payment_data(
    reference: str,
    amount_minor: int,
    *,
    paid_on: date | None = None,
    invoice: str | None = None,
    debtor: str | None = None,
    currency: str = "EUR",
    days_ago: int = 1,
) -> PaymentData:
    return PaymentData(
        reference=reference,
        amount_minor=amount_minor,
        currency=currency,
        paid_on=paid_on or date.today() - timedelta(days=days_ago),
        invoice_number=invoice,
        debtor_reference=debtor,
    )


async def record(session: AsyncSession, client: Client, data: PaymentData) -> RecordedPayment:
    recorded = await record_payment(session, client, data, PaymentSource.API)
    await session.commit()
    return recorded


async def reload_invoice(session: AsyncSession, invoice: Invoice) -> Invoice:
    return await session.get_one(Invoice, invoice.id, populate_existing=True)


async def reload_payment(session: AsyncSession, reference: str) -> Payment:
    payment = await session.scalar(
        select(Payment).where(Payment.reference == reference).execution_options(populate_existing=True)
    )
    assert payment is not None, reference
    return payment


async def allocations_of(session: AsyncSession, reference: str) -> dict[str, int]:
    """Return the invoice number and amount of each allocation of the payment ``reference``."""
    rows = await session.execute(
        select(Invoice.number, PaymentAllocation.amount_minor)
        .join(PaymentAllocation, PaymentAllocation.invoice_id == Invoice.id)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.reference == reference)
    )
    return {number: amount for number, amount in rows}


async def case_of(session: AsyncSession, debtor: Debtor) -> Case:
    case = await session.scalar(
        select(Case).where(Case.debtor_id == debtor.id).execution_options(populate_existing=True)
    )
    assert case is not None, debtor.reference
    return case


async def seed_payment(session: AsyncSession, client: Client, debtor: Debtor) -> Payment:
    """Store an unallocated API payment of ``debtor`` at ``client``, for tests that need any payment id."""
    payment = Payment(
        client_id=client.id,
        debtor_id=debtor.id,
        reference="SEED-1",
        currency=client.currency,
        amount_minor=1_000,
        paid_on=client_today(client) - timedelta(days=1),
        source=PaymentSource.API,
        unallocated_minor=1_000,
        unallocated_reason="seeded without allocation",
    )
    session.add(payment)
    await session.flush()
    return payment
