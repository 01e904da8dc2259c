"""Retention policies: which personal data a client's policy removes, and removing it.

Periods run in real time, not from the portfolio's as-of date, because the
legal retention period does: a debtor whose last payment is older than
``settled_case_years`` years before today is anonymised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.services import RETENTION_APPLIED, RETENTION_POLICY_CHANGED, Actor, record_audit
from hub.cases.models import Case
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.errors import ValidationError
from hub.invoices.models import Invoice, Payment
from hub.privacy.erasure import anonymise_debtor
from hub.privacy.inbound import UNMATCHED_INBOUND_SOURCES, count_unmatched_inbound, delete_unmatched_inbound
from hub.privacy.models import (
    DEFAULT_SETTLED_CASE_YEARS,
    DEFAULT_UNMATCHED_INBOUND_DAYS,
    Erasure,
    ErasureReason,
    RetentionPolicy,
)

SETTLED_CASE_YEARS_RANGE = (1, 30)
UNMATCHED_INBOUND_DAYS_RANGE = (1, 3650)
PREVIEW_DEBTORS_SHOWN = 50


@dataclass(frozen=True)
class RetentionCandidate:
    """A settled debtor whose last payment is past the retention period."""

    debtor_id: int
    reference: str
    case_id: int | None
    last_payment_on: date


@dataclass(frozen=True)
class RetentionPreview:
    client: Client
    policy: RetentionPolicy
    settled_before: date
    inbound_received_before: datetime
    debtors: list[RetentionCandidate]
    unmatched_inbound: int


@dataclass(frozen=True)
class RetentionReport:
    client_id: int
    client_slug: str
    debtors_anonymised: int
    inbound_deleted: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "client": self.client_slug,
            "debtors_anonymised": self.debtors_anonymised,
            "inbound_deleted": self.inbound_deleted,
        }


def real_today() -> date:
    return datetime.now(UTC).date()


def years_before(day: date, years: int) -> date:
    """Return the same calendar day ``years`` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


async def get_policy(session: AsyncSession, client_id: int) -> RetentionPolicy:
    """Return the client's stored policy, or an unsaved disabled one with the default periods."""
    policy = await session.get(RetentionPolicy, client_id)
    if policy is not None:
        return policy
    return RetentionPolicy(
        client_id=client_id,
        enabled=False,
        settled_case_years=DEFAULT_SETTLED_CASE_YEARS,
        unmatched_inbound_days=DEFAULT_UNMATCHED_INBOUND_DAYS,
    )


def _check_range(name: str, value: int, bounds: tuple[int, int], unit: str) -> None:
    low, high = bounds
    if not low <= value <= high:
        message = f"{name} {value} is out of range: use {low} to {high} {unit}"
        raise ValidationError(message, {name: message})


async def save_policy(
    session: AsyncSession, actor: Actor, client: Client, *, enabled: bool, settled_case_years: int,
    unmatched_inbound_days: int,
) -> RetentionPolicy:  # fmt: skip
    """Validate and store the client's policy with an audit event; the caller commits."""
    _check_range("settled_case_years", settled_case_years, SETTLED_CASE_YEARS_RANGE, "years")
    _check_range("unmatched_inbound_days", unmatched_inbound_days, UNMATCHED_INBOUND_DAYS_RANGE, "days")
    policy = await get_policy(session, client.id)
    policy.enabled = enabled
    policy.settled_case_years = settled_case_years
    policy.unmatched_inbound_days = unmatched_inbound_days
    session.add(policy)
    await session.flush()

    detail = {
        "enabled": enabled,
        "settled_case_years": settled_case_years,
        "unmatched_inbound_days": unmatched_inbound_days,
    }
    await record_audit(session, actor, RETENTION_POLICY_CHANGED, "client", client.id, client.id, detail)
    return policy


def _last_dates(client_id: int) -> tuple[Any, Any]:
    """Subqueries of each debtor's last payment day and last invoice settlement day."""
    paid = (
        select(Payment.debtor_id, func.max(Payment.paid_on).label("last_on"))
        .where(Payment.client_id == client_id)
        .group_by(Payment.debtor_id)
        .subquery()
    )
    settled = (
        select(Invoice.debtor_id, func.max(Invoice.settled_date).label("last_on"))
        .where(Invoice.client_id == client_id)
        .group_by(Invoice.debtor_id)
        .subquery()
    )
    return paid, settled


def _both_before(paid_on: Any, settled_on: Any, cutoff: date) -> Any:
    """Condition: at least one day is known and every known day is on or before ``cutoff``."""
    return and_(
        or_(paid_on.is_not(None), settled_on.is_not(None)),
        or_(paid_on.is_(None), paid_on <= cutoff),
        or_(settled_on.is_(None), settled_on <= cutoff),
    )


async def find_expired_settled_debtors(session: AsyncSession, client_id: int, cutoff: date) -> list[RetentionCandidate]:
    """Return the client's debtors with no open invoice whose last payment was on or before ``cutoff``.

    The last payment is the latest Payment.paid_on. Invoices settled without
    an imported payment count by their settled date, and the later of the two
    days applies, so a debtor is never anonymised early.
    """
    paid, settled = _last_dates(client_id)
    open_debtors = select(Invoice.debtor_id).where(Invoice.client_id == client_id, Invoice.open_minor != 0)
    erased = select(Erasure.debtor_id).where(Erasure.client_id == client_id)
    query = (
        select(Debtor.id, Debtor.reference, Case.id, paid.c.last_on, settled.c.last_on)
        .outerjoin(paid, paid.c.debtor_id == Debtor.id)
        .outerjoin(settled, settled.c.debtor_id == Debtor.id)
        .outerjoin(Case, and_(Case.client_id == client_id, Case.debtor_id == Debtor.id))
        .where(Debtor.client_id == client_id, Debtor.id.not_in(open_debtors), Debtor.id.not_in(erased))
        .where(_both_before(paid.c.last_on, settled.c.last_on, cutoff))
        .order_by(Debtor.id)
    )
    rows = await session.execute(query)
    return [
        RetentionCandidate(debtor_id, reference, case_id, max(day for day in (paid_on, settled_on) if day))
        for debtor_id, reference, case_id, paid_on, settled_on in rows
    ]


def inbound_cutoff(today: date, days: int) -> datetime:
    return datetime.combine(today - timedelta(days=days), time(0), UTC)


async def preview_retention(
    session: AsyncSession, client: Client, policy: RetentionPolicy | None = None, today: date | None = None
) -> RetentionPreview:
    """Return what the client's policy removes today, whether or not it is enabled."""
    policy = policy or await get_policy(session, client.id)
    today = today or real_today()
    settled_before = years_before(today, policy.settled_case_years)
    received_before = inbound_cutoff(today, policy.unmatched_inbound_days)

    debtors = await find_expired_settled_debtors(session, client.id, settled_before)
    inbound = await count_unmatched_inbound(session, client.id, received_before, UNMATCHED_INBOUND_SOURCES)
    return RetentionPreview(client, policy, settled_before, received_before, debtors, inbound)


async def apply_client_policy(session: AsyncSession, client: Client, today: date | None = None) -> RetentionReport:
    """Anonymise and delete what the client's policy removes today, with an audit event; the caller commits."""
    preview = await preview_retention(session, client, today=today)
    for candidate in preview.debtors:
        debtor = await session.get_one(Debtor, candidate.debtor_id)
        await anonymise_debtor(session, debtor, None, ErasureReason.RETENTION)
    inbound_deleted = await delete_unmatched_inbound(
        session, client.id, preview.inbound_received_before, UNMATCHED_INBOUND_SOURCES
    )

    report = RetentionReport(client.id, client.slug, len(preview.debtors), inbound_deleted)
    detail = {
        "debtors_anonymised": report.debtors_anonymised,
        "inbound_deleted": report.inbound_deleted,
        "settled_case_years": preview.policy.settled_case_years,
        "unmatched_inbound_days": preview.policy.unmatched_inbound_days,
    }
    await record_audit(session, None, RETENTION_APPLIED, "client", client.id, client.id, detail)
    return report


async def list_enabled_client_ids(session: AsyncSession) -> list[int]:
    query = (
        select(RetentionPolicy.client_id).where(RetentionPolicy.enabled.is_(True)).order_by(RetentionPolicy.client_id)
    )
    return list((await session.scalars(query)).all())
