"""Payment checks: opened on "already paid", found when the payment arrives, not found by the daily job."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from arq import Worker
from arq.connections import RedisSettings, create_pool
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.audit.models import AuditEvent
from hub.audit.services import PAYMENT_CHECK_FOUND, PAYMENT_CHECK_NOT_FOUND
from hub.cases.models import Case
from hub.db import create_session_factory
from hub.debtors.models import Debtor
from hub.errors import ValidationError
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.jobs import ArqJobRunner
from hub.payments.checks import LOOKBACK_DAYS, PAYMENT_CHECK_DAYS, open_payment_check
from hub.payments.jobs import expire_payment_checks
from hub.payments.models import PaymentCheck, PaymentCheckStatus
from tests.payments_factories import (
    PaymentWorld,
    add_invoice,
    build_payment_world,
    case_of,
    payment_data,
    record,
)
from tests.services import require_redis
from workers.jobs import shutdown, startup
from workers.settings import DAILY_JOBS, PAYMENT_CHECK_HOUR_UTC, WorkerSettings


@pytest.fixture
async def world(session: AsyncSession) -> PaymentWorld:
    world = await build_payment_world(session)
    for reference in ("D1", "D2"):
        await add_invoice(session, world.client, world.debtors[reference], f"F-{reference}", 10_000, -20)
    return world


async def open_check(
    session: AsyncSession,
    case: Case,
    today: date,
    *,
    claimed_paid_on: date | None = None,
    claimed_amount_minor: int | None = None,
    claimed_reference: str | None = None,
) -> PaymentCheck:
    interaction = Interaction(
        client_id=case.client_id,
        case_id=case.id,
        channel=Channel.CALL,
        outcome=CallOutcome.ALREADY_PAID,
        next_action_on=today,
    )
    session.add(interaction)
    check = await open_payment_check(
        session,
        case,
        interaction,
        claimed_paid_on=claimed_paid_on,
        claimed_amount_minor=claimed_amount_minor,
        claimed_reference=claimed_reference,
        today=today,
    )
    await session.commit()
    return check


async def reload_check(session: AsyncSession, check_id: int) -> PaymentCheck:
    return await session.get_one(PaymentCheck, check_id, populate_existing=True)


async def audit_actions(session: AsyncSession, case: Case) -> list[tuple[str, dict[str, object] | None]]:
    events = await session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == "case", AuditEvent.target_id == case.id)
    )
    return [(event.action, event.detail) for event in events]


async def test_open_check_parks_case(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    claimed = world.today - timedelta(days=2)

    check = await open_check(
        session, case, world.today, claimed_paid_on=claimed, claimed_amount_minor=5_000, claimed_reference=" NL-77 "
    )

    case = await case_of(session, world.debtors["D1"])
    assert check.status == PaymentCheckStatus.OPEN
    assert check.due_on == world.today + timedelta(days=PAYMENT_CHECK_DAYS)
    assert check.claimed_paid_on == claimed
    assert check.claimed_amount_minor == 5_000
    assert check.claimed_reference == "NL-77"
    assert check.interaction_id is not None
    assert case.next_action_on == check.due_on


@pytest.mark.parametrize(
    ("claim", "field"),
    [
        ({"claimed_paid_on": 1}, "claimed_paid_on"),
        ({"claimed_amount_minor": 0}, "claimed_amount_minor"),
        ({"claimed_reference": "R" * 65}, "claimed_reference"),
        ({"claimed_reference": "bad\x1b"}, "claimed_reference"),
    ],
)
async def test_open_check_rejects_bad_claim(
    session: AsyncSession, world: PaymentWorld, claim: dict[str, object], field: str
) -> None:
    case = await case_of(session, world.debtors["D1"])
    values: dict[str, object] = {"claimed_paid_on": None, "claimed_amount_minor": None, "claimed_reference": None}
    values.update(claim)
    if claim.get("claimed_paid_on") == 1:
        values["claimed_paid_on"] = world.today + timedelta(days=1)

    with pytest.raises(ValidationError) as raised:
        await open_check(session, case, world.today, **values)  # type: ignore[arg-type]

    assert field in raised.value.field_errors


async def test_arriving_payment_finds_check(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    claimed = world.today - timedelta(days=3)
    check = await open_check(session, case, world.today, claimed_paid_on=claimed)

    recorded = await record(session, world.client, payment_data("P-1", 4_000, invoice="F-D1", paid_on=claimed))

    check = await reload_check(session, check.id)
    case = await case_of(session, world.debtors["D1"])
    assert check.status == PaymentCheckStatus.FOUND
    assert check.payment_id == recorded.payment.id
    assert check.resolved_at is not None
    assert case.next_action_on == world.today
    assert (PAYMENT_CHECK_FOUND, {"payment_check_id": check.id, "payment_id": recorded.payment.id}) in (
        await audit_actions(session, case)
    )


async def test_earlier_payment_leaves_check_open(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    claimed = world.today - timedelta(days=3)
    check = await open_check(session, case, world.today, claimed_paid_on=claimed)

    await record(session, world.client, payment_data("P-1", 4_000, invoice="F-D1", paid_on=claimed - timedelta(1)))

    case = await case_of(session, world.debtors["D1"])
    assert (await reload_check(session, check.id)).status == PaymentCheckStatus.OPEN
    assert case.next_action_on == check.due_on


async def test_other_debtor_payment_leaves_check_open(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    check = await open_check(session, case, world.today)

    await record(session, world.client, payment_data("P-1", 4_000, invoice="F-D2"))

    assert (await reload_check(session, check.id)).status == PaymentCheckStatus.OPEN


@pytest.mark.parametrize(("days_before", "expected"), [(LOOKBACK_DAYS, "found"), (LOOKBACK_DAYS + 1, "open")])
async def test_check_without_claim_looks_back(
    session: AsyncSession, world: PaymentWorld, days_before: int, expected: str
) -> None:
    case = await case_of(session, world.debtors["D1"])
    check = await open_check(session, case, world.today)
    paid_on = world.today - timedelta(days=days_before)

    await record(session, world.client, payment_data("P-1", 1_000, debtor="D1", paid_on=paid_on))

    assert (await reload_check(session, check.id)).status == expected


async def test_unchanged_payment_finds_nothing(session: AsyncSession, world: PaymentWorld) -> None:
    await record(session, world.client, payment_data("P-1", 1_000, debtor="D1"))
    case = await case_of(session, world.debtors["D1"])
    check = await open_check(session, case, world.today)

    again = await record(session, world.client, payment_data("P-1", 1_000, debtor="D1"))

    assert again.outcome == "unchanged"
    assert (await reload_check(session, check.id)).status == PaymentCheckStatus.OPEN


async def test_job_marks_overdue_not_found(session: AsyncSession, engine: AsyncEngine, world: PaymentWorld) -> None:
    d1_case = await case_of(session, world.debtors["D1"])
    d2_case = await case_of(session, world.debtors["D2"])
    overdue = await open_check(session, d1_case, world.today - timedelta(days=PAYMENT_CHECK_DAYS + 1))
    waiting = await open_check(session, d2_case, world.today - timedelta(days=PAYMENT_CHECK_DAYS))

    closed = await expire_payment_checks({"session_factory": create_session_factory(engine)}, today=world.today)

    overdue = await reload_check(session, overdue.id)
    waiting = await reload_check(session, waiting.id)
    d1_case = await case_of(session, world.debtors["D1"])
    d2_case = await case_of(session, world.debtors["D2"])
    assert closed == 1
    assert overdue.status == PaymentCheckStatus.NOT_FOUND
    assert overdue.resolved_at is not None
    assert overdue.payment_id is None
    assert d1_case.next_action_on == world.today
    assert (PAYMENT_CHECK_NOT_FOUND, {"payment_check_id": overdue.id}) in await audit_actions(session, d1_case)
    assert waiting.status == PaymentCheckStatus.OPEN
    assert d2_case.next_action_on == waiting.due_on


async def test_job_keeps_earlier_next_action(session: AsyncSession, engine: AsyncEngine, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    check = await open_check(session, case, world.today - timedelta(days=PAYMENT_CHECK_DAYS + 3))
    earlier = check.due_on - timedelta(days=1)
    case.next_action_on = earlier
    await session.commit()

    await expire_payment_checks({"session_factory": create_session_factory(engine)}, today=world.today)

    assert (await reload_check(session, check.id)).status == PaymentCheckStatus.NOT_FOUND
    assert (await case_of(session, world.debtors["D1"])).next_action_on == earlier


async def test_job_leaves_found_checks(session: AsyncSession, engine: AsyncEngine, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    opened_on = world.today - timedelta(days=PAYMENT_CHECK_DAYS + 1)
    check = await open_check(session, case, opened_on)
    await record(session, world.client, payment_data("P-1", 1_000, debtor="D1", paid_on=opened_on))

    closed = await expire_payment_checks({"session_factory": create_session_factory(engine)}, today=world.today)

    assert closed == 0
    assert (await reload_check(session, check.id)).status == PaymentCheckStatus.FOUND


async def test_checks_stay_per_client(session: AsyncSession, world: PaymentWorld) -> None:
    other = world.debtors["G1"]
    await add_invoice(session, world.other_client, other, "G-1", 5_000, -10)
    case = await case_of(session, other)
    check = await open_check(session, case, world.today)

    await record(session, world.client, payment_data("P-1", 1_000, debtor="D1"))

    assert (await reload_check(session, check.id)).status == PaymentCheckStatus.OPEN
    assert await session.scalar(select(Debtor.client_id).where(Debtor.id == case.debtor_id)) == world.other_client.id


async def test_arq_worker_expires_checks(
    session: AsyncSession, engine: AsyncEngine, hub_env: dict[str, str], world: PaymentWorld
) -> None:
    settings = RedisSettings.from_dsn(require_redis())
    pool = await create_pool(settings)
    await pool.flushdb()
    await pool.aclose()
    case = await case_of(session, world.debtors["D1"])
    # Due yesterday in every time zone the job may run in, so the worker's own today finds it overdue.
    check = await open_check(session, case, world.today - timedelta(days=PAYMENT_CHECK_DAYS + 2))
    runner = ArqJobRunner(f"redis://{settings.host}:{settings.port}/{settings.database}")
    await runner.enqueue(expire_payment_checks)
    await runner.close()

    worker = Worker(
        functions=WorkerSettings.functions,
        redis_settings=settings,
        on_startup=startup,
        on_shutdown=shutdown,
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    await worker.main()
    await worker.close()

    assert worker.jobs_complete == 1
    assert worker.jobs_failed == 0
    assert (await reload_check(session, check.id)).status == PaymentCheckStatus.NOT_FOUND
    assert (expire_payment_checks, PAYMENT_CHECK_HOUR_UTC) in DAILY_JOBS


async def test_other_amount_leaves_check_open(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    claimed = world.today - timedelta(days=3)
    check = await open_check(session, case, world.today, claimed_paid_on=claimed, claimed_amount_minor=6_000)

    await record(session, world.client, payment_data("P-1", 1_000, invoice="F-D1", paid_on=world.today))
    still_open = (await reload_check(session, check.id)).status
    recorded = await record(session, world.client, payment_data("P-2", 6_000, invoice="F-D1", paid_on=claimed))

    check = await reload_check(session, check.id)
    assert still_open == PaymentCheckStatus.OPEN
    assert check.status == PaymentCheckStatus.FOUND
    assert check.payment_id == recorded.payment.id


async def test_claimed_reference_finds_check(session: AsyncSession, world: PaymentWorld) -> None:
    case = await case_of(session, world.debtors["D1"])
    check = await open_check(session, case, world.today, claimed_amount_minor=6_000, claimed_reference="bank-77")

    recorded = await record(session, world.client, payment_data("BANK-77", 5_500, invoice="F-D1", paid_on=world.today))

    check = await reload_check(session, check.id)
    assert check.status == PaymentCheckStatus.FOUND
    assert check.payment_id == recorded.payment.id
