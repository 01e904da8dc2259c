"""Export of everything the hub holds on one debtor (GDPR right of access)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.audit.queries import list_debtor_events
from hub.audit.services import DEBTOR_EXPORTED, Actor, record_audit
from hub.cases.models import Case
from hub.clients.models import Client
from hub.db import utcnow
from hub.debtors.models import Debtor
from hub.disputes.models import Dispute, DisputeInvoice
from hub.interactions.models import Interaction
from hub.invoices.models import Invoice, Payment
from hub.privacy.lookup import get_debtor_in_scope, get_erasure

EXPORT_FORMAT = "collections-hub-debtor-export/1"
EXPORT_FORMATS = ("json", "html")

DEBTOR_FIELDS = ("id", "reference", "name", "email", "phone", "country_code", "language", "timezone", "created_at")
CASE_FIELDS = (
    "id", "status", "currency", "open_minor", "oldest_due_date", "risk_score", "segment", "risk_factors",
    "score_source", "scored_at", "priority", "promise_due_on", "next_action_on", "created_at",
)  # fmt: skip
INVOICE_FIELDS = (
    "id", "number", "currency", "amount_minor", "open_minor", "issue_date", "due_date", "settled_date",
    "paperless", "created_at",
)  # fmt: skip
PAYMENT_FIELDS = ("id", "reference", "invoice_id", "currency", "amount_minor", "paid_on", "created_at")
DISPUTE_FIELDS = (
    "id", "reference", "reason_code", "status", "note", "opened_at", "sla_due_on", "reviewed_at", "resolved_at",
    "resolution_note", "credited_minor",
)  # fmt: skip
INTERACTION_FIELDS = (
    "id", "created_at", "user_id", "channel", "direction", "outcome", "note", "next_action_on",
)  # fmt: skip
AUDIT_FIELDS = ("id", "at", "user_id", "action", "target_type", "target_id", "detail")


def plain_value(value: Any) -> Any:
    """Convert dates, times and enums to the strings JSON carries."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Queue priorities are computed floats; three decimals carry all they mean.
        return round(value, 3)
    return value


def record_dict(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain_value(getattr(record, name)) for name in fields}


async def _records(session: AsyncSession, model: Any, debtor: Debtor, order_by: tuple[Any, ...]) -> list[Any]:
    query = select(model).where(model.client_id == debtor.client_id, model.debtor_id == debtor.id).order_by(*order_by)
    return list((await session.scalars(query)).all())


async def _section(
    session: AsyncSession, debtor: Debtor, model: Any, fields: tuple[str, ...], order_by: Any
) -> list[dict[str, Any]]:
    return [record_dict(row, fields) for row in await _records(session, model, debtor, (order_by, model.id))]


async def _disputes(session: AsyncSession, debtor: Debtor) -> list[dict[str, Any]]:
    """Return the debtor's disputes, each with the numbers of the invoices it covers."""
    disputes = await _section(session, debtor, Dispute, DISPUTE_FIELDS, Dispute.opened_at)
    query = (
        select(DisputeInvoice.dispute_id, Invoice.number)
        .join(Invoice, Invoice.id == DisputeInvoice.invoice_id)
        .where(DisputeInvoice.dispute_id.in_([dispute["id"] for dispute in disputes]))
        .order_by(Invoice.due_date, Invoice.number)
    )
    numbers: dict[int, list[str]] = {}
    for dispute_id, number in await session.execute(query):
        numbers.setdefault(dispute_id, []).append(number)
    for dispute in disputes:
        dispute["invoice_numbers"] = numbers.get(dispute["id"], [])
    return disputes


async def _interactions(session: AsyncSession, case: Case | None) -> list[Interaction]:
    if case is None:
        return []
    query = (
        select(Interaction)
        .where(Interaction.client_id == case.client_id, Interaction.case_id == case.id)
        .order_by(Interaction.created_at, Interaction.id)
    )
    return list((await session.scalars(query)).all())


async def _erasure_dict(session: AsyncSession, debtor: Debtor) -> dict[str, Any] | None:
    erasure = await get_erasure(session, debtor)
    if erasure is None:
        return None
    return record_dict(erasure, ("erased_at", "reason"))


async def build_debtor_export(session: AsyncSession, debtor: Debtor) -> dict[str, Any]:
    """Collect the debtor's fields, case, invoices, payments, disputes, interactions and audit events."""
    client = await session.get_one(Client, debtor.client_id)
    cases = await _records(session, Case, debtor, (Case.id,))
    case = cases[0] if cases else None
    interactions = await _interactions(session, case)
    case_ids = [case.id] if case else []
    events = await list_debtor_events(
        session, debtor.client_id, debtor.id, case_ids, [interaction.id for interaction in interactions]
    )

    return {
        "format": EXPORT_FORMAT,
        "exported_at": plain_value(utcnow()),
        "client": {"id": client.id, "slug": client.slug, "name": client.name},
        "debtor": record_dict(debtor, DEBTOR_FIELDS),
        "erasure": await _erasure_dict(session, debtor),
        "case": record_dict(case, CASE_FIELDS) if case else None,
        "invoices": await _section(session, debtor, Invoice, INVOICE_FIELDS, Invoice.due_date),
        "payments": await _section(session, debtor, Payment, PAYMENT_FIELDS, Payment.paid_on),
        "disputes": await _disputes(session, debtor),
        "interactions": [record_dict(row, INTERACTION_FIELDS) for row in interactions],
        "audit_events": [record_dict(event, AUDIT_FIELDS) for event in events],
    }


async def export_debtor(
    session: AsyncSession, scope: Scope, actor: Actor, debtor_id: int, export_format: str
) -> dict[str, Any]:
    """Build the debtor's export, record the export in the audit log and commit.

    The export lists audit events up to and including this export.
    """
    debtor = await get_debtor_in_scope(session, scope, debtor_id)
    detail = {"format": export_format}
    await record_audit(session, actor, DEBTOR_EXPORTED, "debtor", debtor.id, debtor.client_id, detail)
    export = await build_debtor_export(session, debtor)
    await session.commit()
    return export
