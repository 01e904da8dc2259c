"""A synthetic demo portfolio: one client, debtors with invoice histories, disputes and sign-ins.

Every name, address and number is made up. The demo users sign in with
fixed passwords (``DEMO_PASSWORDS``), so never seed a production database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.services import add_user
from hub.cases.models import Case
from hub.cases.refresh import refresh_client
from hub.cases.services import ensure_cases
from hub.cli_support import reports_hub_errors, run_in_session
from hub.clients.models import Client
from hub.clients.services import add_client, reference_date
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeInvoice, DisputeReason, DisputeStatus
from hub.disputes.sla import add_working_days
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.invoices.models import Invoice, Payment, PaymentAllocation, PaymentSource
from hub.promises.demo import seed_demo_promises

DEFAULT_DEMO_CASES = 60
DEFAULT_DEMO_SLUG = "demo"
DEMO_PASSWORDS = {Role.AGENT: "demo-agent-pass", Role.SUPERVISOR: "demo-supervisor-pass", Role.ADMIN: "demo-admin-pass"}
DEMO_EMAIL_DOMAIN = "demo.test"

# Payment habits: share of debtors, days late on settled invoices, days past due of open ones.
PROFILES = {
    "prompt": (45, (-6, 3), (-25, 5)),
    "slow": (30, (2, 25), (-15, 40)),
    "late": (18, (20, 75), (10, 110)),
    "defaulting": (7, (45, 130), (60, 220)),
}
COMPANY_WORDS = ("North", "Bridge", "Harbour", "Oak", "Mill", "Kings", "River", "Stone", "Ash", "Fen", "Vale", "Moor")
COMPANY_TRADES = ("Logistics", "Builders", "Print", "Foods", "Electrical", "Design", "Retail", "Engineering", "Care")
COMPANY_FORMS = ("Ltd", "Limited", "LLP", "& Sons Ltd")
FIRST_NAMES = ("Amelia", "Ben", "Chloe", "Daniel", "Ella", "Harry", "Isla", "Jack", "Maya", "Noah", "Ruby", "Tom")
LAST_NAMES = ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Hughes", "Green", "Hall", "Wood")
DISPUTE_REASONS = tuple(reason.value for reason in DisputeReason)
PAST_CALL_OUTCOMES = (CallOutcome.NO_ANSWER, CallOutcome.VOICEMAIL, CallOutcome.RIGHT_PARTY_CONTACT)


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    password: str


@dataclass
class DemoSummary:
    client_slug: str
    debtors: int = 0
    invoices: int = 0
    open_invoices: int = 0
    payments: int = 0
    disputes: int = 0
    logins: tuple[DemoLogin, ...] = ()


class _Numbers:
    """Sequential invoice and payment numbers within one seeded client."""

    def __init__(self) -> None:
        self.invoice = 0
        self.payment = 0

    def next_invoice(self) -> str:
        self.invoice += 1
        return f"INV-{self.invoice:06d}"

    def next_payment(self) -> str:
        self.payment += 1
        return f"PAY-{self.payment:06d}"


def _debtor_name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    first, second = rng.sample(COMPANY_WORDS, 2)
    stem = first + second.lower()
    return f"{stem} {rng.choice(COMPANY_TRADES)} {rng.choice(COMPANY_FORMS)}"


def _new_debtor(client: Client, rng: random.Random, index: int) -> Debtor:
    reference = f"D-{10001 + index}"
    has_email = rng.random() > 0.1
    return Debtor(
        client_id=client.id,
        reference=reference,
        name=_debtor_name(rng),
        email=f"{reference.lower()}@example.com" if has_email else None,
        # Ofcom keeps 07700 900000 to 900999 for drama, so no subscriber has these numbers.
        phone=f"+44 7700 900{index % 1000:03d}" if rng.random() > 0.05 else None,
        country_code="GB",
        language="en",
        timezone="Europe/London",
    )


def _new_invoice(client: Client, debtor: Debtor, rng: random.Random, numbers: _Numbers, due: date) -> Invoice:
    amount = rng.randint(120, 9_500) * 100 + rng.choice((0, 0, 50, 95, 25))
    return Invoice(
        client_id=client.id,
        debtor_id=debtor.id,
        number=numbers.next_invoice(),
        currency=client.currency,
        amount_minor=amount,
        open_minor=amount,
        issue_date=due - timedelta(days=rng.choice((14, 30, 30, 45))),
        due_date=due,
        paperless=rng.random() > 0.3,
    )


def _new_payment(invoice: Invoice, numbers: _Numbers, amount: int, paid_on: date) -> Payment:
    """A payment as a bank file would bring it: the full amount of a settled invoice, or a part of an open one."""
    return Payment(
        client_id=invoice.client_id,
        debtor_id=invoice.debtor_id,
        invoice_id=invoice.id,
        reference=numbers.next_payment(),
        currency=invoice.currency,
        amount_minor=amount,
        paid_on=paid_on,
        source=PaymentSource.SETTLEMENT if invoice.settled_date else PaymentSource.IMPORT,
        invoice_reference=invoice.number,
    )


def _allocations(payments: list[Payment], invoices: list[Invoice]) -> list[PaymentAllocation]:
    """Return the allocations of the part payments of open invoices (settlement payments are never allocated)."""
    by_id = {invoice.id: invoice for invoice in invoices}
    return [
        PaymentAllocation(
            client_id=payment.client_id,
            payment_id=payment.id,
            invoice_id=payment.invoice_id,
            amount_minor=payment.amount_minor,
        )
        for payment in payments
        if payment.invoice_id is not None and by_id[payment.invoice_id].settled_date is None
    ]


def _settle_history(
    client: Client, debtor: Debtor, rng: random.Random, numbers: _Numbers, today: date, late_days: tuple[int, int]
) -> list[Invoice]:
    """Invoices from the past year that were paid in full, ``late_days`` after their due date."""
    invoices = []
    for _ in range(rng.randint(2, 7)):
        invoice = _new_invoice(client, debtor, rng, numbers, today - timedelta(days=rng.randint(100, 400)))
        invoice.settled_date = invoice.due_date + timedelta(days=rng.randint(*late_days))
        invoice.open_minor = 0
        invoices.append(invoice)
    return invoices


def _open_items(
    client: Client, debtor: Debtor, rng: random.Random, numbers: _Numbers, today: date, past_due: tuple[int, int]
) -> list[Invoice]:
    """Unpaid invoices ``past_due`` days past their due date (negative: not yet due); some partly paid."""
    count = rng.choice((0, 1, 1, 2, 2, 3, 4))
    invoices = []
    for _ in range(count):
        invoice = _new_invoice(client, debtor, rng, numbers, today - timedelta(days=rng.randint(*past_due)))
        if rng.random() < 0.15:
            invoice.paid_minor = invoice.amount_minor - invoice.amount_minor // 2
            invoice.open_minor = invoice.amount_minor - invoice.paid_minor
        invoices.append(invoice)
    return invoices


async def _seed_debtor(
    session: AsyncSession, client: Client, rng: random.Random, numbers: _Numbers, index: int, today: date
) -> tuple[list[Invoice], list[Payment]]:
    weights = [profile[0] for profile in PROFILES.values()]
    _weight, late_days, past_due = PROFILES[rng.choices(list(PROFILES), weights)[0]]
    debtor = _new_debtor(client, rng, index)
    session.add(debtor)
    await session.flush()

    invoices = _settle_history(client, debtor, rng, numbers, today, late_days)
    invoices += _open_items(client, debtor, rng, numbers, today, past_due)
    session.add_all(invoices)
    await session.flush()
    payments = [
        _new_payment(invoice, numbers, invoice.amount_minor - invoice.open_minor, invoice.settled_date or today)
        for invoice in invoices
        if invoice.open_minor < invoice.amount_minor
    ]
    session.add_all(payments)
    await session.flush()
    session.add_all(_allocations(payments, invoices))
    return invoices, payments


async def _add_disputes(
    session: AsyncSession, client: Client, rng: random.Random, open_invoices: list[Invoice]
) -> list[Dispute]:
    """Open a dispute on about one in twelve open invoices (at least two when there are any)."""
    count = min(len(open_invoices), max(2, len(open_invoices) // 12))
    now = datetime.now(UTC)
    disputed = rng.sample(open_invoices, count)
    disputes = []
    for position, invoice in enumerate(disputed):
        opened_at = now - timedelta(days=rng.randint(1, 20))
        disputes.append(
            Dispute(
                client_id=invoice.client_id,
                debtor_id=invoice.debtor_id,
                reason_code=rng.choice(DISPUTE_REASONS),
                status=DisputeStatus.UNDER_REVIEW if position == 0 else DisputeStatus.OPEN,
                opened_at=opened_at,
                sla_due_on=add_working_days(opened_at.date(), client.dispute_sla_days),
            )
        )
    session.add_all(disputes)
    await session.flush()
    session.add_all(
        DisputeInvoice(dispute_id=dispute.id, invoice_id=invoice.id, client_id=invoice.client_id)
        for dispute, invoice in zip(disputes, disputed, strict=True)
    )
    return disputes


async def _add_past_calls(session: AsyncSession, client: Client, rng: random.Random, agent: User) -> None:
    """Give about a third of the cases one or two calls from a few weeks ago, so timelines are not empty."""
    cases = (await session.scalars(select(Case).where(Case.client_id == client.id).order_by(Case.id))).all()
    now = datetime.now(UTC)
    for case in cases:
        if rng.random() > 0.33:
            continue
        for _ in range(rng.randint(1, 2)):
            called_at = datetime.combine(
                now.date() - timedelta(days=rng.randint(10, 40)), time(rng.randint(9, 16)), UTC
            )
            outcome = rng.choice(PAST_CALL_OUTCOMES)
            session.add(
                Interaction(
                    client_id=client.id,
                    case_id=case.id,
                    user_id=agent.id,
                    channel=Channel.CALL,
                    outcome=outcome,
                    note="Asked for the payment date." if outcome == CallOutcome.RIGHT_PARTY_CONTACT else None,
                    created_at=called_at,
                )
            )
    await session.flush()


async def _ensure_demo_users(session: AsyncSession, client: Client) -> dict[Role, User]:
    """Create the demo users, or give existing ones access to ``client``; the admin has access to every client."""
    users = {}
    for role, password in DEMO_PASSWORDS.items():
        email = f"{role.value}@{DEMO_EMAIL_DOMAIN}"
        user = await session.scalar(select(User).where(User.email == email))
        if user is None:
            slugs = () if role == Role.ADMIN else (client.slug,)
            name = f"Demo {role.value}"
            user = await add_user(session, email, role.value, password, client_slugs=slugs, name=name)
        elif role != Role.ADMIN and client not in user.clients:
            user.clients.append(client)
        users[role] = user
    await session.flush()
    return users


async def seed_demo(
    session: AsyncSession, cases: int = DEFAULT_DEMO_CASES, slug: str = DEFAULT_DEMO_SLUG
) -> DemoSummary:
    """Seed a client ``slug`` with ``cases`` debtors, their invoices, payments and disputes, then score it."""
    client = await add_client(session, slug, "Northwind Supplies Ltd (demo)", "GBP", "Europe/London", "en")
    rng = random.Random(f"{slug}:{cases}")
    numbers = _Numbers()
    today = reference_date(client)
    summary = DemoSummary(client_slug=slug, debtors=cases)

    open_invoices: list[Invoice] = []
    for index in range(cases):
        invoices, payments = await _seed_debtor(session, client, rng, numbers, index, today)
        open_invoices += [invoice for invoice in invoices if invoice.open_minor]
        summary.invoices += len(invoices)
        summary.payments += len(payments)
    summary.open_invoices = len(open_invoices)
    summary.disputes = len(await _add_disputes(session, client, rng, open_invoices))
    users = await _ensure_demo_users(session, client)
    await ensure_cases(session, client)
    await _add_past_calls(session, client, rng, users[Role.AGENT])

    await refresh_client(session, client)
    await seed_demo_promises(session, client, users[Role.AGENT])
    summary.logins = tuple(DemoLogin(role, user.email, DEMO_PASSWORDS[role]) for role, user in users.items())
    return summary


def echo_summary(summary: DemoSummary) -> None:
    click.echo(
        f"demo portfolio {summary.client_slug!r} seeded: {summary.debtors} debtors, "
        f"{summary.invoices} invoices ({summary.open_invoices} open), {summary.payments} payments, "
        f"{summary.disputes} disputes"
    )
    click.echo("Sign in with one of these demo accounts:")
    for login in summary.logins:
        click.echo(f"  {login.role.value:<11} {login.email:<24} {login.password}")


@click.command()
@click.option(
    "--cases",
    default=DEFAULT_DEMO_CASES,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Number of debtors (one case each) to create.",
)
@click.option("--client", "slug", default=DEFAULT_DEMO_SLUG, show_default=True, help="Slug of the demo client.")
@reports_hub_errors
def demo(cases: int, slug: str) -> None:
    """Seed a synthetic demo portfolio and print one sign-in per role.

    The demo users are agent@demo.test, supervisor@demo.test and
    admin@demo.test with the passwords demo-agent-pass,
    demo-supervisor-pass and demo-admin-pass.
    """

    async def work(session: AsyncSession) -> DemoSummary:
        return await seed_demo(session, cases, slug)

    echo_summary(run_in_session(work))


def seed_demo_if_empty() -> DemoSummary | None:
    """Seed the default demo portfolio when the database has no client yet; return None otherwise."""

    async def work(session: AsyncSession) -> DemoSummary | None:
        if await session.scalar(select(Client.id).limit(1)) is not None:
            return None
        return await seed_demo(session)

    summary = run_in_session(work)
    if summary is not None:
        echo_summary(summary)
    return summary
