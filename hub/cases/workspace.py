"""Data of the agent workspace for one case: debtor, invoices with aging buckets and disputes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.claims import ClaimHolder, find_claim_holder
from hub.cases.models import Case
from hub.clients.models import Client
from hub.clients.services import reference_date
from hub.debtors.models import Debtor
from hub.disputes.models import OPEN_DISPUTE_STATUSES, Dispute, DisputeInvoice
from hub.errors import NotFoundError
from hub.interactions.callback import contact_zone_name
from hub.interactions.timeline import CHECK_STATE_LABELS, claimed_payment_text, local_time_text
from hub.invoices.models import Invoice
from hub.payments.models import PaymentCheck
from hub.web.ids import is_row_id

# Aging buckets by days past due, counted from the client's reference date.
AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", "over 90")


def aging_bucket(days_past_due: int) -> str:
    """Return the aging bucket of an item ``days_past_due`` days past its due date (zero or less is current)."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "over 90"


@dataclass(frozen=True)
class InvoiceLine:
    number: str
    currency: str
    amount_minor: int
    open_minor: int
    issue_date: date | None
    due_date: date
    settled_date: date | None
    days_past_due: int
    bucket: str
    disputed: bool


@dataclass(frozen=True)
class BucketTotal:
    bucket: str
    count: int
    open_minor: int


@dataclass(frozen=True)
class CheckLine:
    """A payment check as the workspace lists it."""

    status: str
    state: str
    claim: str
    due_on: date
    resolved_on: date | None


def _check_line(check: PaymentCheck, currency: str) -> CheckLine:
    resolved_on = check.resolved_at.date() if check.resolved_at is not None else None
    return CheckLine(
        check.status.value,
        CHECK_STATE_LABELS[check.status],
        claimed_payment_text(check, currency),
        check.due_on,
        resolved_on,
    )


@dataclass(frozen=True)
class Workspace:
    case: Case
    client: Client
    debtor: Debtor
    reference_day: date
    open_invoices: list[InvoiceLine]
    settled_invoices: list[InvoiceLine]
    buckets: list[BucketTotal]
    # The user with an unexpired claim on the case when the page was loaded.
    claim: ClaimHolder | None = None
    # Payment checks of the case, opened when a debtor stated they already paid, newest first.
    payment_checks: list[CheckLine] = field(default_factory=list)
    # The time zone calls and call-backs are planned in: the debtor's, else the client's.
    contact_zone: str = "UTC"

    @property
    def call_back_local(self) -> str | None:
        """The agreed call-back time in the contact time zone, or None without one."""
        if self.case.next_action_at is None:
            return None
        return local_time_text(self.case.next_action_at, self.contact_zone)

    @property
    def disputed_minor(self) -> int:
        """Open amount of invoices under open dispute, which the case balance leaves out while dunning is paused."""
        return sum(line.open_minor for line in self.open_invoices if line.disputed)


async def get_case(session: AsyncSession, scope: Scope, case_id: int) -> Case:
    """Return the case if it belongs to a client in ``scope``; otherwise raise NotFoundError."""
    if not is_row_id(case_id):
        raise NotFoundError(f"Case {case_id} not found: it does not exist or belongs to a client you do not work on.")
    case = await session.scalar(select(Case).where(Case.id == case_id, Case.client_id.in_(scope.client_ids)))
    if case is None:
        raise NotFoundError(f"Case {case_id} not found: it does not exist or belongs to a client you do not work on.")
    return case


async def _disputed_invoice_ids(session: AsyncSession, case: Case) -> set[int]:
    query = (
        select(DisputeInvoice.invoice_id)
        .join(Dispute, Dispute.id == DisputeInvoice.dispute_id)
        .where(
            Dispute.client_id == case.client_id,
            Dispute.debtor_id == case.debtor_id,
            Dispute.status.in_(OPEN_DISPUTE_STATUSES),
        )
    )
    return set((await session.scalars(query)).all())


def _invoice_line(invoice: Invoice, today: date, disputed: set[int]) -> InvoiceLine:
    days_past_due = (today - invoice.due_date).days
    return InvoiceLine(
        number=invoice.number,
        currency=invoice.currency,
        amount_minor=invoice.amount_minor,
        open_minor=invoice.open_minor,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        settled_date=invoice.settled_date,
        days_past_due=days_past_due,
        bucket=aging_bucket(days_past_due),
        disputed=invoice.id in disputed,
    )


def summarise_buckets(lines: list[InvoiceLine]) -> list[BucketTotal]:
    """Count and add up the open items per aging bucket, every bucket listed even when empty.

    NOTE: amounts are added as they are, so the totals assume the debtor's
    invoices share one currency, as the case balance does.
    """
    totals = []
    for bucket in AGING_BUCKETS:
        in_bucket = [line for line in lines if line.bucket == bucket]
        totals.append(BucketTotal(bucket, len(in_bucket), sum(line.open_minor for line in in_bucket)))
    return totals


async def load_workspace(session: AsyncSession, scope: Scope, case_id: int) -> Workspace:
    case = await get_case(session, scope, case_id)
    client = await session.get_one(Client, case.client_id)
    debtor = await session.get_one(Debtor, case.debtor_id)
    today = reference_date(client)
    disputed = await _disputed_invoice_ids(session, case)
    invoices = await session.scalars(
        select(Invoice)
        .where(Invoice.client_id == case.client_id, Invoice.debtor_id == case.debtor_id)
        .order_by(Invoice.due_date, Invoice.number)
    )

    lines = [_invoice_line(invoice, today, disputed) for invoice in invoices]
    open_lines = [line for line in lines if line.open_minor != 0]
    settled_lines = [line for line in reversed(lines) if line.open_minor == 0]
    buckets = summarise_buckets(open_lines)
    claim = await find_claim_holder(session, case)
    checks = await session.scalars(
        select(PaymentCheck)
        .where(PaymentCheck.client_id == case.client_id, PaymentCheck.case_id == case.id)
        .order_by(PaymentCheck.created_at.desc(), PaymentCheck.id.desc())
    )
    return Workspace(
        case,
        client,
        debtor,
        today,
        open_lines,
        settled_lines,
        buckets,
        claim,
        payment_checks=[_check_line(check, case.currency) for check in checks.all()],
        contact_zone=contact_zone_name(debtor, client),
    )
