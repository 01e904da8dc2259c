"""Case records: one per debtor and client, with balances derived from invoices."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case, CaseStatus
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.disputes.models import OPEN_DISPUTE_STATUSES, Dispute, DisputeInvoice
from hub.invoices.models import Invoice


def invoice_is_disputed():  # type: ignore[no-untyped-def]
    """SQL condition: the invoice has a dispute that is still open or under review."""
    return exists().where(
        and_(
            DisputeInvoice.invoice_id == Invoice.id,
            Dispute.id == DisputeInvoice.dispute_id,
            Dispute.status.in_(OPEN_DISPUTE_STATUSES),
        )
    )


async def ensure_cases(session: AsyncSession, client: Client) -> int:
    """Create a case for every debtor of ``client`` that has none; return how many were created."""
    missing = (
        await session.scalars(
            select(Debtor.id).where(
                Debtor.client_id == client.id,
                ~exists().where(and_(Case.debtor_id == Debtor.id, Case.client_id == client.id)),
            )
        )
    ).all()
    session.add_all(Case(client_id=client.id, debtor_id=debtor_id, currency=client.currency) for debtor_id in missing)
    await session.flush()
    return len(missing)


async def refresh_case_balances(
    session: AsyncSession, client: Client, debtor_ids: Collection[int] | None = None
) -> None:
    """Recompute each case's collectible balance, oldest due date and status from its invoices.

    The collectible balance leaves out invoices under an open dispute, since
    a dispute pauses pressure on the items it covers. It is the net of the
    open items, so credit notes lower it, and a case whose credits exceed its
    debts gets a negative balance that the call queue leaves out.

    NOTE: invoices in another currency than the client's are left out, because
    a case has one currency. The importer rejects such rows, so only
    invoices written by other means can be left out here.

    With ``debtor_ids``, only the cases of those debtors are recomputed.
    """
    await ensure_cases(session, client)
    open_invoices = (Invoice.client_id == client.id) & (Invoice.open_minor != 0) & (Invoice.currency == client.currency)
    cases_query = select(Case).where(Case.client_id == client.id)
    if debtor_ids is not None:
        open_invoices &= Invoice.debtor_id.in_(list(debtor_ids))
        cases_query = cases_query.where(Case.debtor_id.in_(list(debtor_ids)))
    collectible = (
        select(
            Invoice.debtor_id,
            func.sum(Invoice.open_minor).label("open_minor"),
            func.min(Invoice.due_date).label("oldest_due_date"),
        )
        .where(open_invoices, ~invoice_is_disputed())
        .group_by(Invoice.debtor_id)
    )
    balances = {row.debtor_id: row for row in (await session.execute(collectible)).all()}
    debtors_with_open_items = set((await session.scalars(select(Invoice.debtor_id).where(open_invoices))).all())

    cases = (await session.scalars(cases_query)).all()
    for case in cases:
        balance = balances.get(case.debtor_id)
        case.open_minor = balance.open_minor if balance else 0
        case.oldest_due_date = balance.oldest_due_date if balance else None
        case.status = CaseStatus.OPEN if case.debtor_id in debtors_with_open_items else CaseStatus.CLOSED
    await session.flush()
