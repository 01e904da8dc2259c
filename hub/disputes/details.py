"""Read models of disputes: one dispute with its invoices and people, and the disputes of a case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.claims import get_case_in_scope
from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.disputes.models import OPEN_DISPUTE_STATUSES, Dispute, DisputeStatus
from hub.disputes.queue import SlaState, opened_day, reason_label, sla_state
from hub.disputes.services import TRANSITIONS, get_dispute_in_scope, load_dispute_invoices
from hub.disputes.sla import working_days_between
from hub.invoices.models import Invoice


@dataclass(frozen=True)
class DisputedInvoice:
    number: str
    currency: str
    amount_minor: int
    open_minor: int
    credited_minor: int
    due_date: date
    settled_date: date | None


@dataclass(frozen=True)
class DisputeDetail:
    """A dispute with what its pages and the API show: invoices, debtor, case, owner and SLA."""

    dispute: Dispute
    client: Client
    debtor: Debtor
    case_id: int | None
    invoices: tuple[DisputedInvoice, ...]
    owner_name: str | None
    resolved_by_name: str | None
    today: date
    opened_on: date
    sla: SlaState | None

    @property
    def status(self) -> DisputeStatus:
        return DisputeStatus(self.dispute.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DISPUTE_STATUSES

    @property
    def reason_label(self) -> str:
        return reason_label(self.dispute.reason_code)

    @property
    def currency(self) -> str:
        return self.client.currency

    @property
    def open_minor(self) -> int:
        return sum(max(invoice.open_minor, 0) for invoice in self.invoices)

    @property
    def invoice_numbers(self) -> tuple[str, ...]:
        return tuple(invoice.number for invoice in self.invoices)

    @property
    def age_working_days(self) -> int:
        """Working days from opening until today, or until resolution for a resolved dispute."""
        end = self.today
        if self.dispute.resolved_at is not None:
            end = opened_day(self.dispute.resolved_at, self.client.timezone)
        return max(working_days_between(self.opened_on, end), 0)

    @property
    def next_statuses(self) -> tuple[DisputeStatus, ...]:
        return TRANSITIONS[self.status]


def disputed_invoice(invoice: Invoice) -> DisputedInvoice:
    return DisputedInvoice(
        number=invoice.number,
        currency=invoice.currency,
        amount_minor=invoice.amount_minor,
        open_minor=invoice.open_minor,
        credited_minor=invoice.credited_minor,
        due_date=invoice.due_date,
        settled_date=invoice.settled_date,
    )


async def _user_names(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


async def _by_id(session: AsyncSession, model: type[Client] | type[Debtor], ids: set[int]) -> dict[int, Any]:
    return {row.id: row for row in await session.scalars(select(model).where(model.id.in_(ids)))}


async def _case_ids(session: AsyncSession, disputes: Sequence[Dispute]) -> dict[tuple[int, int], int]:
    """Return the case id of each (client id, debtor id) pair of ``disputes``."""
    query = select(Case.client_id, Case.debtor_id, Case.id).where(
        Case.client_id.in_({dispute.client_id for dispute in disputes}),
        Case.debtor_id.in_({dispute.debtor_id for dispute in disputes}),
    )
    return {(client_id, debtor_id): case_id for client_id, debtor_id, case_id in await session.execute(query)}


def _open_sla(dispute: Dispute, today: date) -> SlaState | None:
    if DisputeStatus(dispute.status) not in OPEN_DISPUTE_STATUSES:
        return None
    return sla_state(dispute.sla_due_on, today)


async def build_details(
    session: AsyncSession, disputes: Sequence[Dispute], *, today: date | None = None
) -> list[DisputeDetail]:
    """Return the details of ``disputes``, in the order given."""
    if not disputes:
        return []
    invoices = await load_dispute_invoices(session, [dispute.id for dispute in disputes])
    people = {dispute.owner_id for dispute in disputes} | {dispute.resolved_by_id for dispute in disputes}
    names = await _user_names(session, {user_id for user_id in people if user_id is not None})
    clients = await _by_id(session, Client, {dispute.client_id for dispute in disputes})
    debtors = await _by_id(session, Debtor, {dispute.debtor_id for dispute in disputes})
    case_ids = await _case_ids(session, disputes)

    details = []
    for dispute in disputes:
        client = clients[dispute.client_id]
        client_day = today or client_today(client)
        details.append(
            DisputeDetail(
                dispute=dispute,
                client=client,
                debtor=debtors[dispute.debtor_id],
                case_id=case_ids.get((dispute.client_id, dispute.debtor_id)),
                invoices=tuple(disputed_invoice(invoice) for invoice in invoices[dispute.id]),
                owner_name=names.get(dispute.owner_id) if dispute.owner_id is not None else None,
                resolved_by_name=names.get(dispute.resolved_by_id) if dispute.resolved_by_id is not None else None,
                today=client_day,
                opened_on=opened_day(dispute.opened_at, client.timezone),
                sla=_open_sla(dispute, client_day),
            )
        )
    return details


async def load_dispute_detail(
    session: AsyncSession, scope: Scope, dispute_id: int, *, today: date | None = None
) -> DisputeDetail:
    """Return the dispute in ``scope`` with its details; raise NotFoundError outside it."""
    dispute = await get_dispute_in_scope(session, scope, dispute_id)
    return (await build_details(session, [dispute], today=today))[0]


async def list_case_disputes(
    session: AsyncSession, scope: Scope, case_id: int, *, today: date | None = None
) -> list[DisputeDetail]:
    """Return the disputes of the case's debtor: open ones first by resolve-by day, then resolved ones, newest first."""
    case = await get_case_in_scope(session, scope, case_id)
    return await debtor_disputes(session, case, today=today)


async def debtor_disputes(session: AsyncSession, case: Case, *, today: date | None = None) -> list[DisputeDetail]:
    query = select(Dispute).where(Dispute.client_id == case.client_id, Dispute.debtor_id == case.debtor_id)
    disputes = list((await session.scalars(query)).all())
    open_disputes = [d for d in disputes if DisputeStatus(d.status) in OPEN_DISPUTE_STATUSES]
    open_disputes.sort(key=lambda d: (d.sla_due_on is None, d.sla_due_on or date.max, d.opened_at, d.id))
    resolved = [d for d in disputes if DisputeStatus(d.status) not in OPEN_DISPUTE_STATUSES]
    resolved.sort(key=lambda d: (d.resolved_at or d.opened_at, d.id), reverse=True)
    return await build_details(session, [*open_disputes, *resolved], today=today)
