"""Retention policies: which settled debtors expire, the daily job and the inbound rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import registry

from hub.audit.models import AuditEvent
from hub.clients.models import Client
from hub.db import UTCDateTime, create_session_factory
from hub.debtors.models import Debtor
from hub.invoices.models import Invoice, Payment
from hub.privacy.erasure import ERASED_TEXT
from hub.privacy.inbound import InboundSource, count_unmatched_inbound, delete_unmatched_inbound
from hub.privacy.jobs import apply_retention
from hub.privacy.models import Erasure, ErasureReason, RetentionPolicy
from hub.privacy.retention import get_policy, preview_retention, years_before
from tests.factories import new_client

TODAY = date(2026, 12, 4)
# Seven years before TODAY: the last day a payment may fall on for the debtor to expire.
CUTOFF = date(2019, 12, 4)


@dataclass
class Portfolio:
    client: Client
    other: Client
    debtors: dict[str, int]


async def add_debtor(
    session: AsyncSession,
    client: Client,
    reference: str,
    *,
    open_minor: int = 0,
    settled_on: date | None = None,
    paid_on: date | None = None,
) -> int:
    """Insert a debtor with one invoice (unless nothing is given) and optionally one payment."""
    debtor = Debtor(client_id=client.id, reference=reference, name=f"Name of {reference}", email="x@example.com")
    session.add(debtor)
    await session.flush()
    if settled_on or paid_on or open_minor:
        session.add(
            Invoice(
                client_id=client.id, debtor_id=debtor.id, number=f"INV-{reference}", currency="EUR",
                amount_minor=5_000, open_minor=open_minor, due_date=date(2015, 1, 1), settled_date=settled_on,
            )
        )  # fmt: skip
    if paid_on:
        session.add(
            Payment(
                client_id=client.id, debtor_id=debtor.id, reference=f"PAY-{reference}", currency="EUR",
                amount_minor=5_000, paid_on=paid_on,
            )
        )  # fmt: skip
    await session.flush()
    return debtor.id


PORTFOLIO = {
    "old-paid": {"paid_on": date(2018, 1, 10), "settled_on": date(2018, 1, 10)},
    "on-cutoff": {"paid_on": CUTOFF},
    "day-after-cutoff": {"paid_on": date(2019, 12, 5)},
    "recent-paid": {"paid_on": date(2024, 3, 1), "settled_on": date(2024, 3, 1)},
    "old-but-open": {"paid_on": date(2016, 1, 1), "open_minor": 1_000},
    "settled-no-payment": {"settled_on": date(2015, 6, 1)},
    "late-settlement": {"paid_on": date(2015, 1, 1), "settled_on": date(2023, 1, 1)},
    "no-invoices": {},
}


@pytest.fixture
async def portfolio(session: AsyncSession) -> Portfolio:
    client, other = new_client("acme", "Acme Wholesale"), new_client("globex", "Globex Retail")
    session.add_all([client, other])
    await session.flush()
    debtors = {
        reference: await add_debtor(session, client, reference, **fields) for reference, fields in PORTFOLIO.items()
    }
    debtors["globex-old"] = await add_debtor(session, other, "globex-old", paid_on=date(2010, 1, 1))
    await session.commit()
    return Portfolio(client, other, debtors)


async def enable(session: AsyncSession, client: Client, years: int = 7) -> None:
    session.add(RetentionPolicy(client_id=client.id, enabled=True, settled_case_years=years, unmatched_inbound_days=90))
    await session.commit()


def test_years_before_leap_day() -> None:
    assert years_before(date(2028, 2, 29), 7) == date(2021, 2, 28)


def test_years_before_plain_day() -> None:
    assert years_before(TODAY, 7) == CUTOFF


async def test_policy_defaults_disabled(session: AsyncSession, portfolio: Portfolio) -> None:
    policy = await get_policy(session, portfolio.client.id)

    assert policy.enabled is False
    assert policy.settled_case_years == 7
    assert policy.unmatched_inbound_days == 90


async def test_preview_lists_expired_settled_debtors(session: AsyncSession, portfolio: Portfolio) -> None:
    preview = await preview_retention(session, portfolio.client, today=TODAY)

    references = [candidate.reference for candidate in preview.debtors]
    assert references == ["old-paid", "on-cutoff", "settled-no-payment"]
    assert preview.settled_before == CUTOFF


async def test_preview_reports_last_payment(session: AsyncSession, portfolio: Portfolio) -> None:
    preview = await preview_retention(session, portfolio.client, today=TODAY)

    last = {candidate.reference: candidate.last_payment_on for candidate in preview.debtors}
    assert last == {"old-paid": date(2018, 1, 10), "on-cutoff": CUTOFF, "settled-no-payment": date(2015, 6, 1)}


async def test_preview_follows_policy_years(session: AsyncSession, portfolio: Portfolio) -> None:
    await enable(session, portfolio.client, years=2)

    preview = await preview_retention(session, portfolio.client, today=TODAY)

    assert [candidate.reference for candidate in preview.debtors] == [
        "old-paid", "on-cutoff", "day-after-cutoff", "recent-paid", "settled-no-payment", "late-settlement",
    ]  # fmt: skip


async def test_preview_changes_nothing(session: AsyncSession, portfolio: Portfolio) -> None:
    await preview_retention(session, portfolio.client, today=TODAY)

    assert await session.scalar(select(func.count(Erasure.id))) == 0


async def test_job_skips_disabled_policy(engine: AsyncEngine, session: AsyncSession, portfolio: Portfolio) -> None:
    session.add(
        RetentionPolicy(client_id=portfolio.client.id, enabled=False, settled_case_years=7, unmatched_inbound_days=90)
    )
    await session.commit()

    reports = await apply_retention({"session_factory": create_session_factory(engine)}, today=TODAY)

    assert reports == []
    assert await session.scalar(select(func.count(Erasure.id))) == 0


async def test_job_anonymises_expired_debtors(engine: AsyncEngine, session: AsyncSession, portfolio: Portfolio) -> None:
    await enable(session, portfolio.client)

    reports = await apply_retention({"session_factory": create_session_factory(engine)}, today=TODAY)

    assert reports == [{"client": "acme", "debtors_anonymised": 3, "inbound_deleted": 0}]
    session.expire_all()
    names = dict((await session.execute(select(Debtor.id, Debtor.name))).all())
    erased = {portfolio.debtors[reference] for reference in ("old-paid", "on-cutoff", "settled-no-payment")}
    assert {debtor_id for debtor_id, name in names.items() if name == ERASED_TEXT} == erased


async def test_job_records_erasure_reason(engine: AsyncEngine, session: AsyncSession, portfolio: Portfolio) -> None:
    await enable(session, portfolio.client)

    await apply_retention({"session_factory": create_session_factory(engine)}, today=TODAY)

    erasures = (await session.scalars(select(Erasure))).all()
    assert {erasure.reason for erasure in erasures} == {ErasureReason.RETENTION}
    assert {erasure.user_id for erasure in erasures} == {None}


async def test_job_keeps_other_client(engine: AsyncEngine, session: AsyncSession, portfolio: Portfolio) -> None:
    await enable(session, portfolio.client)

    await apply_retention({"session_factory": create_session_factory(engine)}, today=TODAY)

    name = await session.scalar(select(Debtor.name).where(Debtor.id == portfolio.debtors["globex-old"]))
    assert name == "Name of globex-old"


async def test_job_stores_audit_summary(engine: AsyncEngine, session: AsyncSession, portfolio: Portfolio) -> None:
    await enable(session, portfolio.client)

    await apply_retention({"session_factory": create_session_factory(engine)}, today=TODAY)

    [event] = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.applied"))).all()
    assert event.user_id is None
    assert event.target_type == "client"
    assert event.target_id == portfolio.client.id
    assert event.detail == {
        "debtors_anonymised": 3, "inbound_deleted": 0, "settled_case_years": 7, "unmatched_inbound_days": 90,
    }  # fmt: skip


async def test_job_audits_each_erasure(engine: AsyncEngine, session: AsyncSession, portfolio: Portfolio) -> None:
    await enable(session, portfolio.client)

    await apply_retention({"session_factory": create_session_factory(engine)}, today=TODAY)

    events = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "debtor.erased"))).all()
    assert len(events) == 3
    assert {event.detail["reason"] for event in events} == {"retention"}  # type: ignore[index]


async def test_job_second_run_removes_nothing(engine: AsyncEngine, session: AsyncSession, portfolio: Portfolio) -> None:
    await enable(session, portfolio.client)
    ctx = {"session_factory": create_session_factory(engine)}

    await apply_retention(ctx, today=TODAY)
    reports = await apply_retention(ctx, today=TODAY)

    assert reports == [{"client": "acme", "debtors_anonymised": 0, "inbound_deleted": 0}]


async def test_job_logs_counts_only(
    engine: AsyncEngine, session: AsyncSession, portfolio: Portfolio, caplog: pytest.LogCaptureFixture
) -> None:
    await enable(session, portfolio.client)
    caplog.set_level("INFO", logger="hub.privacy.jobs")

    await apply_retention({"session_factory": create_session_factory(engine)}, today=TODAY)

    messages = [record.getMessage() for record in caplog.records if record.name == "hub.privacy.jobs"]
    assert messages == [
        f"retention applied client_id={portfolio.client.id} anonymised=3 inbound_deleted=0",
        "apply_retention done clients=1 failed=0 anonymised=3 inbound_deleted=0",
    ]


# A stand-in for an inbound message table, created for these tests only.
INBOUND_METADATA = MetaData()
INBOUND_TABLE = Table(
    "test_inbound_message",
    INBOUND_METADATA,
    Column("id", Integer, primary_key=True),
    Column("client_id", Integer, nullable=False),
    Column("debtor_id", Integer, nullable=True),
    Column("body", String(200)),
    Column("received_at", UTCDateTime(), nullable=False),
)


class InboundMessage:
    pass


@pytest.fixture
async def inbound_source(engine: AsyncEngine, session: AsyncSession) -> AsyncIterator[InboundSource]:
    mapper_registry = registry(metadata=INBOUND_METADATA)
    mapper_registry.map_imperatively(InboundMessage, INBOUND_TABLE)
    async with engine.begin() as connection:
        await connection.run_sync(INBOUND_METADATA.create_all)
    yield InboundSource(InboundMessage)
    # The test's session may still read the table, and PostgreSQL's DROP waits for it.
    await session.close()
    async with engine.begin() as connection:
        await connection.run_sync(INBOUND_METADATA.drop_all)
    mapper_registry.dispose()


async def test_unmatched_inbound_deleted_after_days(
    session: AsyncSession, portfolio: Portfolio, inbound_source: InboundSource
) -> None:
    old, recent = datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        {"client_id": portfolio.client.id, "debtor_id": None, "body": "old unmatched", "received_at": old},
        {"client_id": portfolio.client.id, "debtor_id": None, "body": "recent unmatched", "received_at": recent},
        {
            "client_id": portfolio.client.id,
            "debtor_id": portfolio.debtors["old-paid"],
            "body": "matched",
            "received_at": old,
        },
        {"client_id": portfolio.other.id, "debtor_id": None, "body": "other client", "received_at": old},
    ]
    await session.execute(INBOUND_TABLE.insert(), rows)
    cutoff = datetime(2026, 9, 5, tzinfo=UTC)
    sources = (inbound_source,)

    counted = await count_unmatched_inbound(session, portfolio.client.id, cutoff, sources)
    deleted = await delete_unmatched_inbound(session, portfolio.client.id, cutoff, sources)

    assert counted == 1
    assert deleted == 1
    remaining = (await session.scalars(select(INBOUND_TABLE.c.body).order_by(INBOUND_TABLE.c.id))).all()
    assert remaining == ["recent unmatched", "matched", "other client"]
