"""Disputes: opening them on a case, every status change, credits and the effect on the case balance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.audit.models import AuditEvent
from hub.cases.models import Case
from hub.cases.refresh import refresh_debtor_cases
from hub.db import create_session_factory
from hub.disputes.models import Dispute, DisputeInvoice, DisputeStatus
from hub.disputes.services import (
    DisputeChange,
    change_dispute,
    reassign_owner,
    record_dispute,
    resolve_dispute,
    start_review,
)
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.interactions.models import CallOutcome, Channel, Interaction
from tests.dispute_factories import (
    TODAY,
    DisputeWorld,
    build_dispute_world,
    dispute_invoice_numbers,
    fresh_case,
    fresh_dispute,
    invoice,
)

# Open amounts of D-100's invoices in the base world.
A1_OPEN = 100_000
A2_OPEN = 25_000
A3_OPEN = 8_000
# Every resolution carries a note saying what was decided.
NOTE = "Checked the delivery records"


@pytest.fixture
async def world(session: AsyncSession) -> DisputeWorld:
    return await build_dispute_world(session)


async def _record(session: AsyncSession, world: DisputeWorld, numbers: list[str], **fields: object) -> Dispute:
    values: dict[str, object] = {"reason": "quality", "channel": "call", "note": None, "today": TODAY} | fields
    case_id = world.case("D-100").id
    return await record_dispute(session, world.scope, case_id, world.agent_id, invoice_numbers=numbers, **values)  # type: ignore[arg-type]


async def test_dispute_links_invoices_and_owner(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1", "A-3"], reason="wrong_amount", note="  Price list differs  ")

    stored = await fresh_dispute(session, dispute.id)
    assert await dispute_invoice_numbers(session, dispute.id) == ["A-1", "A-3"]
    assert stored.owner_id == world.agent_id
    assert stored.reason_code == "wrong_amount"
    assert stored.status == DisputeStatus.OPEN
    assert stored.note == "Price list differs"
    assert stored.debtor_id == world.base.debtors["D-100"].id


async def test_dispute_sla_counts_working_days(session: AsyncSession, world: DisputeWorld) -> None:
    # Monday 2026-11-30 plus 10 working days skips two weekends.
    dispute = await _record(session, world, ["A-1"])

    assert dispute.sla_due_on == date(2026, 12, 14)


async def test_dispute_sla_uses_client_days(session: AsyncSession, world: DisputeWorld) -> None:
    world.base.client.dispute_sla_days = 3
    await session.commit()
    # Thursday plus 3 working days: Friday, Monday, Tuesday.
    dispute = await _record(session, world, ["A-1"], today=date(2026, 12, 3))

    assert dispute.sla_due_on == date(2026, 12, 8)


async def test_dispute_records_interaction(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"], channel="email", note="Says goods never arrived")

    interaction = await session.get_one(Interaction, dispute.interaction_id)
    assert interaction.outcome == CallOutcome.DISPUTES_DEBT
    assert interaction.channel == Channel.EMAIL
    assert interaction.note == "Says goods never arrived"
    assert interaction.case_id == world.case("D-100").id
    assert interaction.next_action_on == TODAY + timedelta(days=1)


async def test_dispute_commits(session: AsyncSession, engine: AsyncEngine, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    async with create_session_factory(engine)() as other:
        links = await other.scalar(select(func.count()).where(DisputeInvoice.dispute_id == dispute.id))
        events = await other.scalar(
            select(func.count()).where(AuditEvent.action == "dispute.opened", AuditEvent.target_id == dispute.id)
        )
    assert links == 1
    assert events == 1


async def test_dispute_drops_invoice_from_balance(session: AsyncSession, world: DisputeWorld) -> None:
    case_id = world.case("D-100").id
    # The base world sets priorities by hand, so compute this one from the balance first.
    await refresh_debtor_cases(session, world.base.client, [world.base.debtors["D-100"].id])
    await session.commit()
    before = await fresh_case(session, case_id)
    assert before.open_minor == A1_OPEN + A3_OPEN
    priority_before = before.priority

    await _record(session, world, ["A-1"])

    after = await fresh_case(session, case_id)
    assert after.open_minor == A3_OPEN
    assert after.priority < priority_before


async def test_dispute_keeps_other_invoices(session: AsyncSession, world: DisputeWorld) -> None:
    await _record(session, world, ["A-3"])

    case = await fresh_case(session, world.case("D-100").id)
    assert case.open_minor == A1_OPEN
    assert case.oldest_due_date == (await invoice(session, "A-1")).due_date


async def test_second_dispute_on_invoice_rejected(session: AsyncSession, world: DisputeWorld) -> None:
    existing = await session.scalar(
        select(DisputeInvoice.dispute_id).where(DisputeInvoice.invoice_id == (await invoice(session, "A-2")).id)
    )

    with pytest.raises(ValidationError) as raised:
        await _record(session, world, ["A-1", "A-2"])

    message = raised.value.field_errors["invoices"]
    assert "A-2" in message
    assert f"open dispute {existing}" in message


async def test_rejected_dispute_stores_nothing(session: AsyncSession, world: DisputeWorld) -> None:
    with pytest.raises(ValidationError):
        await _record(session, world, ["A-1", "A-2"])
    await session.rollback()

    count = await session.scalar(select(func.count()).select_from(Dispute))
    interactions = await session.scalar(select(func.count()).select_from(Interaction))
    assert count == 1
    assert interactions == 0


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("B-1", "Invoice B-1 is not an invoice of this debtor"),
        ("G-1", "Invoice G-1 is not an invoice of this debtor"),
        ("X-404", "Invoice X-404 is not an invoice of this debtor"),
        ("A-4", "Invoice A-4 has nothing open"),
    ],
)
async def test_dispute_rejects_invoice(session: AsyncSession, world: DisputeWorld, number: str, expected: str) -> None:
    with pytest.raises(ValidationError) as raised:
        await _record(session, world, [number])

    assert raised.value.field_errors["invoices"].startswith(expected)


@pytest.mark.parametrize(
    ("fields", "field", "expected"),
    [
        ({"reason": "angry"}, "reason", "Unknown dispute reason 'angry'"),
        ({"reason": ""}, "reason", "Pick a dispute reason"),
        ({"channel": "fax"}, "channel", "Unknown channel 'fax'"),
        ({"note": "x" * 2001}, "note", "Note is 2001 characters long"),
    ],
)
async def test_dispute_rejects_field(
    session: AsyncSession, world: DisputeWorld, fields: dict[str, object], field: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        await _record(session, world, ["A-1"], **fields)

    assert raised.value.field_errors[field].startswith(expected)


async def test_dispute_needs_an_invoice(session: AsyncSession, world: DisputeWorld) -> None:
    with pytest.raises(ValidationError) as raised:
        await _record(session, world, [" ", ""])

    assert "at least one open invoice" in raised.value.field_errors["invoices"]


async def test_dispute_blocked_by_other_claim(session: AsyncSession, world: DisputeWorld) -> None:
    case = world.case("D-100")
    case.claimed_by_id = world.colleague.id
    case.claimed_until = datetime.now(UTC) + timedelta(minutes=10)
    await session.commit()

    with pytest.raises(ConflictError) as raised:
        await _record(session, world, ["A-1"])

    assert "Sam Second" in str(raised.value)


async def test_dispute_outside_scope_not_found(session: AsyncSession, world: DisputeWorld) -> None:
    with pytest.raises(NotFoundError):
        await record_dispute(
            session,
            world.scope,
            world.case("D-900").id,
            world.agent_id,
            reason="quality",
            invoice_numbers=["G-1"],
            channel="call",
            note=None,
        )


async def test_review_sets_status_and_time(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    await start_review(session, world.scope, dispute.id, world.agent_id)

    stored = await fresh_dispute(session, dispute.id)
    assert stored.status == DisputeStatus.UNDER_REVIEW
    assert stored.reviewed_at is not None
    assert stored.resolved_at is None


async def test_review_keeps_invoices_paused(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    await start_review(session, world.scope, dispute.id, world.agent_id)

    assert (await fresh_case(session, world.case("D-100").id)).open_minor == A3_OPEN


async def test_review_twice_conflicts(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])
    await start_review(session, world.scope, dispute.id, world.agent_id)

    with pytest.raises(ConflictError) as raised:
        await start_review(session, world.scope, dispute.id, world.agent_id)

    assert f"Dispute {dispute.id} is already under review" in str(raised.value)


async def test_review_cannot_reopen(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])
    await start_review(session, world.scope, dispute.id, world.agent_id)

    with pytest.raises(ConflictError) as raised:
        await change_dispute(session, world.scope, dispute.id, world.agent_id, DisputeChange(status=DisputeStatus.OPEN))

    assert "is under review and cannot move to open" in str(raised.value)


async def test_creditor_resolution_from_review(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])
    await start_review(session, world.scope, dispute.id, world.agent_id)

    await resolve_dispute(
        session, world.scope, dispute.id, world.agent_id, for_debtor=False, resolution_note=NOTE, today=TODAY
    )

    stored = await fresh_dispute(session, dispute.id)
    assert stored.status == DisputeStatus.RESOLVED_CREDITOR
    assert stored.resolved_by_id == world.agent_id
    assert stored.resolved_at is not None


async def test_creditor_resolution_restores_balance(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])
    case_id = world.case("D-100").id
    assert (await fresh_case(session, case_id)).open_minor == A3_OPEN

    await resolve_dispute(
        session, world.scope, dispute.id, world.agent_id, for_debtor=False, resolution_note=NOTE, today=TODAY
    )

    case = await fresh_case(session, case_id)
    assert case.open_minor == A1_OPEN + A3_OPEN
    assert (await invoice(session, "A-1")).open_minor == A1_OPEN


async def test_creditor_resolution_restores_priority(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])
    case_id = world.case("D-100").id
    paused = (await fresh_case(session, case_id)).priority

    await resolve_dispute(
        session, world.scope, dispute.id, world.agent_id, for_debtor=False, resolution_note=NOTE, today=TODAY
    )

    # A-1 is 120 days past due and ten times A-3, so both exposure and urgency rise again.
    assert (await fresh_case(session, case_id)).priority > paused


async def test_creditor_resolution_resumes_follow_up(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])
    case_id = world.case("D-100").id
    assert (await fresh_case(session, case_id)).next_action_on == TODAY + timedelta(days=1)
    later = date(2026, 12, 9)

    await resolve_dispute(
        session, world.scope, dispute.id, world.agent_id, for_debtor=False, resolution_note=NOTE, today=later
    )

    assert (await fresh_case(session, case_id)).next_action_on == later


@pytest.mark.parametrize("for_debtor", [True, False])
@pytest.mark.parametrize("note", [None, "", " \n "])
async def test_resolution_needs_a_note(
    session: AsyncSession, world: DisputeWorld, for_debtor: bool, note: str | None
) -> None:
    dispute_id = (await _record(session, world, ["A-1"])).id
    case_id = world.case("D-100").id
    open_before = (await fresh_case(session, case_id)).open_minor

    with pytest.raises(ValidationError) as raised:
        await resolve_dispute(
            session, world.scope, dispute_id, world.agent_id, for_debtor=for_debtor, resolution_note=note
        )

    assert "resolution note is required" in raised.value.field_errors["resolution_note"]
    await session.rollback()
    stored = await fresh_dispute(session, dispute_id)
    assert stored.status == DisputeStatus.OPEN
    assert stored.resolved_at is None
    assert (await invoice(session, "A-1")).credited_minor == 0
    assert (await fresh_case(session, case_id)).open_minor == open_before


async def test_debtor_resolution_credits_full_amount(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    await resolve_dispute(
        session, world.scope, dispute.id, world.agent_id, for_debtor=True, resolution_note="Goods returned"
    )

    stored = await fresh_dispute(session, dispute.id)
    credited = await invoice(session, "A-1")
    assert stored.status == DisputeStatus.RESOLVED_DEBTOR
    assert stored.credited_minor == A1_OPEN
    assert stored.resolution_note == "Goods returned"
    assert credited.credited_minor == A1_OPEN
    assert credited.open_minor == 0


async def test_debtor_resolution_keeps_balance_down(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    await resolve_dispute(session, world.scope, dispute.id, world.agent_id, for_debtor=True, resolution_note=NOTE)

    assert (await fresh_case(session, world.case("D-100").id)).open_minor == A3_OPEN


async def test_partial_credit_oldest_first(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-3", "A-1"])
    credit = A1_OPEN + 500

    await resolve_dispute(
        session, world.scope, dispute.id, world.agent_id, for_debtor=True, credit_minor=credit, resolution_note=NOTE
    )

    oldest, newest = await invoice(session, "A-1"), await invoice(session, "A-3")
    assert oldest.credited_minor == A1_OPEN
    assert oldest.open_minor == 0
    assert newest.credited_minor == 500
    assert newest.open_minor == A3_OPEN - 500
    assert (await fresh_dispute(session, dispute.id)).credited_minor == credit
    # What the credit leaves of A-3 counts towards the balance again.
    assert (await fresh_case(session, world.case("D-100").id)).open_minor == A3_OPEN - 500


async def test_credit_above_open_rejected(session: AsyncSession, world: DisputeWorld) -> None:
    dispute_id = (await _record(session, world, ["A-1"])).id

    with pytest.raises(ValidationError) as raised:
        await resolve_dispute(
            session,
            world.scope,
            dispute_id,
            world.agent_id,
            for_debtor=True,
            credit_minor=A1_OPEN + 1,
            resolution_note=NOTE,
        )

    message = raised.value.field_errors["credit"]
    assert "€1,000.01" in message
    assert "€1,000.00" in message
    await session.rollback()
    assert (await fresh_dispute(session, dispute_id)).status == DisputeStatus.OPEN
    assert (await invoice(session, "A-1")).credited_minor == 0


@pytest.mark.parametrize("credit", [0, -100])
async def test_credit_must_be_positive(session: AsyncSession, world: DisputeWorld, credit: int) -> None:
    dispute = await _record(session, world, ["A-1"])

    with pytest.raises(ValidationError) as raised:
        await resolve_dispute(
            session, world.scope, dispute.id, world.agent_id, for_debtor=True, credit_minor=credit, resolution_note=NOTE
        )

    assert "Credit must be more than" in raised.value.field_errors["credit"]


async def test_credit_needs_debtor_resolution(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    with pytest.raises(ValidationError) as raised:
        await resolve_dispute(session, world.scope, dispute.id, world.agent_id, for_debtor=False, credit_minor=100)

    assert "resolved for the debtor" in raised.value.field_errors["credit"]


@pytest.mark.parametrize("resolution", [DisputeStatus.RESOLVED_DEBTOR, DisputeStatus.RESOLVED_CREDITOR])
async def test_resolved_dispute_is_final(session: AsyncSession, world: DisputeWorld, resolution: DisputeStatus) -> None:
    dispute = await _record(session, world, ["A-1"])
    await change_dispute(
        session, world.scope, dispute.id, world.agent_id, DisputeChange(status=resolution, resolution_note=NOTE)
    )

    for change in (
        DisputeChange(status=DisputeStatus.UNDER_REVIEW),
        DisputeChange(status=DisputeStatus.RESOLVED_DEBTOR),
        DisputeChange(owner_id=world.colleague.id),
    ):
        with pytest.raises(ConflictError) as raised:
            await change_dispute(session, world.scope, dispute.id, world.agent_id, change)
        assert f"already {resolution.label.lower()}" in str(raised.value)


async def test_reassign_owner_to_colleague(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    await reassign_owner(session, world.scope, dispute.id, world.agent_id, world.colleague.id)

    stored = await fresh_dispute(session, dispute.id)
    assert stored.owner_id == world.colleague.id
    assert stored.status == DisputeStatus.OPEN


async def test_reassign_to_global_admin(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    await reassign_owner(session, world.scope, dispute.id, world.agent_id, world.base.admin.id)

    assert (await fresh_dispute(session, dispute.id)).owner_id == world.base.admin.id


async def test_reassign_to_outsider_rejected(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    with pytest.raises(ValidationError) as raised:
        await reassign_owner(session, world.scope, dispute.id, world.agent_id, world.outsider.id)

    assert f"User {world.outsider.id} does not work on client acme" in raised.value.field_errors["owner"]


async def test_reassign_to_inactive_rejected(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])
    world.colleague.is_active = False
    await session.commit()

    with pytest.raises(ValidationError):
        await reassign_owner(session, world.scope, dispute.id, world.agent_id, world.colleague.id)


async def test_change_audited(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])
    await start_review(session, world.scope, dispute.id, world.agent_id)
    await resolve_dispute(session, world.scope, dispute.id, world.agent_id, for_debtor=True, resolution_note=NOTE)

    events = (
        await session.scalars(select(AuditEvent).where(AuditEvent.target_type == "dispute").order_by(AuditEvent.id))
    ).all()
    assert [event.action for event in events] == ["dispute.opened", "dispute.changed", "dispute.changed"]
    assert [event.detail.get("to_status") for event in events[1:]] == ["under_review", "resolved_debtor"]
    assert events[2].detail["credited_invoice_ids"] == [(await invoice(session, "A-1")).id]
    assert all(event.user_id == world.agent_id for event in events)


async def test_empty_change_rejected(session: AsyncSession, world: DisputeWorld) -> None:
    dispute = await _record(session, world, ["A-1"])

    with pytest.raises(ValidationError) as raised:
        await change_dispute(session, world.scope, dispute.id, world.agent_id, DisputeChange())

    assert "Nothing to change" in str(raised.value)


async def test_change_outside_scope_not_found(session: AsyncSession, world: DisputeWorld) -> None:
    globex_case = world.case("D-900")
    globex_invoice = await invoice(session, "G-1")
    session.add(
        Dispute(
            client_id=globex_case.client_id,
            debtor_id=globex_case.debtor_id,
            reason_code="other",
            status=DisputeStatus.OPEN,
            opened_at=datetime.now(UTC),
        )
    )
    await session.flush()
    other = await session.scalar(select(Dispute).where(Dispute.client_id == globex_case.client_id))
    assert other is not None
    session.add(DisputeInvoice(dispute_id=other.id, invoice_id=globex_invoice.id, client_id=globex_case.client_id))
    await session.commit()

    with pytest.raises(NotFoundError):
        await start_review(session, world.scope, other.id, world.agent_id)


async def test_case_count_unchanged(session: AsyncSession, world: DisputeWorld) -> None:
    before = await session.scalar(select(func.count()).select_from(Case))

    await _record(session, world, ["A-1"])

    assert await session.scalar(select(func.count()).select_from(Case)) == before
