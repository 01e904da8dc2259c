"""The dispute queue: order by resolve-by day, SLA states around weekends, filters, scope and `hub queue dispute`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cli import main
from hub.disputes.models import Dispute, DisputeStatus
from hub.disputes.queue import (
    DisputeQueueFilter,
    SlaState,
    count_dispute_queue,
    list_dispute_queue,
    opened_day,
    sla_state,
)
from tests.dispute_factories import DisputeWorld, build_dispute_world, invoice
from tests.factories import add_dispute

FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
MONDAY = date(2026, 12, 7)


@pytest.fixture
async def world(session: AsyncSession) -> DisputeWorld:
    return await build_dispute_world(session)


async def _open(
    session: AsyncSession, numbers: list[str], opened: datetime, sla_due_on: date | None, **fields: object
) -> Dispute:
    invoices = [await invoice(session, number) for number in numbers]
    dispute = await add_dispute(session, invoices, opened_at=opened, sla_due_on=sla_due_on, **fields)
    await session.commit()
    return dispute


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), UTC)


@pytest.mark.parametrize(
    ("today", "due", "expected"),
    [
        # Friday to Tuesday: Monday and Tuesday are left.
        (FRIDAY, date(2026, 12, 8), SlaState.AT_RISK),
        (FRIDAY, date(2026, 12, 9), SlaState.WITHIN),
        (FRIDAY, FRIDAY, SlaState.AT_RISK),
        (FRIDAY, date(2026, 12, 3), SlaState.BREACHED),
        # On Saturday, Friday's deadline has passed; Monday and Tuesday are still at risk.
        (SATURDAY, FRIDAY, SlaState.BREACHED),
        (SATURDAY, MONDAY, SlaState.AT_RISK),
        (SATURDAY, date(2026, 12, 8), SlaState.AT_RISK),
        (SATURDAY, date(2026, 12, 9), SlaState.WITHIN),
        # A deadline on a Sunday is breached on Monday.
        (MONDAY, date(2026, 12, 6), SlaState.BREACHED),
    ],
)
def test_sla_state_around_weekend(today: date, due: date, expected: SlaState) -> None:
    assert sla_state(due, today) == expected


def test_sla_state_without_deadline() -> None:
    assert sla_state(None, FRIDAY) is None


def test_opened_day_in_client_zone() -> None:
    late_evening_utc = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)

    assert opened_day(late_evening_utc, "Europe/Amsterdam") == date(2026, 12, 4)
    assert opened_day(late_evening_utc, "America/New_York") == date(2026, 12, 3)


def test_opened_day_of_imported_date() -> None:
    midnight_utc = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)

    assert opened_day(midnight_utc, "America/New_York") == date(2026, 12, 3)


async def test_queue_orders_by_deadline(session: AsyncSession, world: DisputeWorld) -> None:
    later = await _open(session, ["B-1"], _at(date(2026, 11, 26)), date(2026, 12, 10))
    early_second = await _open(session, ["C-1"], _at(date(2026, 11, 24)), date(2026, 12, 8))
    early_first = await _open(session, ["A-1"], _at(date(2026, 11, 20)), date(2026, 12, 8))
    later_tie = await _open(session, ["A-3"], _at(date(2026, 11, 26)), date(2026, 12, 10))

    entries = await list_dispute_queue(session, world.scope, today=FRIDAY)

    ids = [entry.dispute_id for entry in entries]
    assert ids[:4] == [early_first.id, early_second.id, later.id, later_tie.id]
    # The base world's dispute on A-2 has no resolve-by day, so it comes last.
    assert entries[-1].invoice_numbers == ("A-2",)
    assert entries[-1].sla_state is None


async def test_queue_row_values(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _open(
        session, ["A-3", "A-1"], _at(date(2026, 11, 27)), date(2026, 12, 8), reason_code="wrong_amount"
    )
    dispute.owner_id = world.agent_id
    await session.commit()

    entries = await list_dispute_queue(session, world.scope, today=FRIDAY)

    entry = next(entry for entry in entries if entry.dispute_id == dispute.id)
    assert entry.invoice_numbers == ("A-1", "A-3")
    assert entry.amount_minor == 100_000 + 8_000
    assert entry.currency == "EUR"
    assert entry.reason == "wrong_amount"
    assert entry.status == "open"
    assert entry.owner_name == "Alex Agent"
    assert entry.debtor_reference == "D-100"
    assert entry.case_id == world.case("D-100").id
    assert entry.opened_on == date(2026, 11, 27)
    # Friday 27 November to Friday 4 December is five working days.
    assert entry.age_working_days == 5
    assert entry.sla_state == "at_risk"


async def test_queue_age_skips_weekend(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _open(session, ["A-1"], datetime(2026, 11, 27, 0, 0, tzinfo=UTC), date(2026, 12, 11))

    entries = await list_dispute_queue(session, world.scope, today=date(2026, 11, 30))

    entry = next(entry for entry in entries if entry.dispute_id == dispute.id)
    assert entry.age_working_days == 1


async def test_queue_states_on_saturday(session: AsyncSession, world: DisputeWorld) -> None:
    breached = await _open(session, ["A-1"], _at(date(2026, 11, 20)), FRIDAY)
    at_risk = await _open(session, ["A-3"], _at(date(2026, 11, 20)), MONDAY)
    within = await _open(session, ["B-1"], _at(date(2026, 11, 20)), date(2026, 12, 9))

    entries = await list_dispute_queue(session, world.scope, today=SATURDAY)

    states = {entry.dispute_id: entry.sla_state for entry in entries}
    assert states[breached.id] == "breached"
    assert states[at_risk.id] == "at_risk"
    assert states[within.id] == "within"


async def test_queue_counts_by_state(session: AsyncSession, world: DisputeWorld) -> None:
    await _open(session, ["A-1"], _at(date(2026, 11, 20)), FRIDAY)
    await _open(session, ["A-3"], _at(date(2026, 11, 20)), FRIDAY)
    await _open(session, ["B-1"], _at(date(2026, 11, 20)), date(2026, 12, 9))

    counts = await count_dispute_queue(session, world.scope, today=SATURDAY)

    # Three disputes here and the base world's one without a deadline.
    assert counts.total == 4
    assert counts.by_state == {"breached": 2, "at_risk": 0, "within": 1}


async def test_queue_leaves_out_resolved(session: AsyncSession, world: DisputeWorld) -> None:
    resolved = await _open(session, ["A-1"], _at(date(2026, 11, 20)), FRIDAY, status=DisputeStatus.RESOLVED_CREDITOR)
    reviewed = await _open(session, ["A-3"], _at(date(2026, 11, 20)), FRIDAY, status=DisputeStatus.UNDER_REVIEW)

    ids = [entry.dispute_id for entry in await list_dispute_queue(session, world.scope, today=FRIDAY)]

    assert resolved.id not in ids
    assert reviewed.id in ids


async def test_queue_filters_status(session: AsyncSession, world: DisputeWorld) -> None:
    reviewed = await _open(session, ["A-3"], _at(date(2026, 11, 20)), FRIDAY, status=DisputeStatus.UNDER_REVIEW)
    await _open(session, ["A-1"], _at(date(2026, 11, 20)), FRIDAY)

    queue_filter = DisputeQueueFilter(status=DisputeStatus.UNDER_REVIEW)
    entries = await list_dispute_queue(session, world.scope, queue_filter, today=FRIDAY)

    assert [entry.dispute_id for entry in entries] == [reviewed.id]


async def test_queue_filters_owner(session: AsyncSession, world: DisputeWorld) -> None:
    mine = await _open(session, ["A-3"], _at(date(2026, 11, 20)), FRIDAY, owner_id=world.agent_id)
    await _open(session, ["A-1"], _at(date(2026, 11, 20)), FRIDAY, owner_id=world.colleague.id)

    queue_filter = DisputeQueueFilter(owner_id=world.agent_id)
    entries = await list_dispute_queue(session, world.scope, queue_filter, today=FRIDAY)

    assert [entry.dispute_id for entry in entries] == [mine.id]


async def test_queue_scoped_to_clients(session: AsyncSession, world: DisputeWorld) -> None:
    globex = await _open(session, ["G-1"], _at(date(2026, 11, 20)), FRIDAY)
    both = Scope(client_ids=frozenset({world.client_id, world.base.other_client.id}))

    acme_ids = [entry.dispute_id for entry in await list_dispute_queue(session, world.scope, today=FRIDAY)]
    all_ids = [entry.dispute_id for entry in await list_dispute_queue(session, both, today=FRIDAY)]
    only_globex = DisputeQueueFilter(client_id=world.base.other_client.id)
    globex_ids = [entry.dispute_id for entry in await list_dispute_queue(session, both, only_globex, today=FRIDAY)]

    assert globex.id not in acme_ids
    assert globex.id in all_ids
    assert globex_ids == [globex.id]


async def test_queue_limit(session: AsyncSession, world: DisputeWorld) -> None:
    first = await _open(session, ["A-1"], _at(date(2026, 11, 20)), date(2026, 12, 1))
    await _open(session, ["A-3"], _at(date(2026, 11, 20)), date(2026, 12, 2))

    entries = await list_dispute_queue(session, world.scope, limit=1, today=FRIDAY)

    assert [entry.dispute_id for entry in entries] == [first.id]


# `hub queue dispute` takes today from the clock, so these deadlines are far from any test day.
PAST_DEADLINE = date(2020, 1, 6)
FAR_DEADLINE = date(2099, 1, 5)


@pytest.fixture
async def cli_disputes(session: AsyncSession, world: DisputeWorld, hub_env: dict[str, str]) -> dict[str, int]:
    breached = await _open(session, ["A-1"], _at(date(2019, 12, 20)), PAST_DEADLINE, reason_code="not_received")
    within = await _open(session, ["B-1"], _at(date(2026, 11, 20)), FAR_DEADLINE)
    globex = await _open(session, ["G-1"], _at(date(2026, 11, 20)), date(2099, 1, 1))
    return {"breached": breached.id, "within": within.id, "globex": globex.id}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["queue", "dispute", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_json_rows(cli_disputes: dict[str, int]) -> None:
    code, output, _ = _run("--client", "acme", "--json")

    rows = json.loads(output)
    assert code == 0
    assert [row["dispute_id"] for row in rows[:2]] == [cli_disputes["breached"], cli_disputes["within"]]
    first = rows[0]
    assert first["debtor_reference"] == "D-100"
    assert first["reason"] == "not_received"
    assert first["status"] == "open"
    assert first["open_minor"] == 100_000
    assert first["currency"] == "EUR"
    assert first["sla_due_on"] == PAST_DEADLINE.isoformat()
    assert first["sla_state"] == "breached"
    assert first["opened_on"] == "2019-12-20"
    assert first["invoices"] == ["A-1"]
    assert rows[1]["sla_state"] == "within"
    assert set(first) >= {"case_id", "risk_score", "priority", "age_working_days"}


def test_cli_all_clients(cli_disputes: dict[str, int]) -> None:
    code, output, _ = _run("--json")

    ids = [row["dispute_id"] for row in json.loads(output)]
    assert code == 0
    assert cli_disputes["globex"] in ids
    assert ids.index(cli_disputes["within"]) > ids.index(cli_disputes["globex"])


def test_cli_limit(cli_disputes: dict[str, int]) -> None:
    code, output, _ = _run("--client", "acme", "--limit", "1", "--json")

    assert code == 0
    assert [row["dispute_id"] for row in json.loads(output)] == [cli_disputes["breached"]]


def test_cli_table(cli_disputes: dict[str, int]) -> None:
    code, output, _ = _run("--client", "acme")

    lines = output.strip().splitlines()
    assert code == 0
    assert lines[0].split()[:3] == ["dispute", "case", "debtor"]
    assert lines[1].split()[0] == str(cli_disputes["breached"])
    assert "breached" in lines[1]
    # Two disputes here and the base world's dispute on A-2.
    assert lines[-1] == "3 dispute(s)"


def test_cli_unknown_client(cli_disputes: dict[str, int]) -> None:
    code, _, error = _run("--client", "nobody")

    assert code == 1
    assert "nobody" in error
