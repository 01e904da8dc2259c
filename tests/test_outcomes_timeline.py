"""The case timeline: calls, payments and dispute events, newest first and scoped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.disputes.models import Dispute, DisputeStatus
from hub.errors import NotFoundError
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.interactions.services import list_timeline
from hub.invoices.models import Invoice, Payment
from tests.factories import add_dispute
from tests.queue_factories import add_case, add_client, add_user


async def _timeline_world(session: AsyncSession) -> tuple[Scope, int]:
    client = await add_client(session, timezone="Europe/Amsterdam")
    agent = await add_user(session, name="Ann Agent")
    case = await add_case(session, client, "CUST-1")
    other_case = await add_case(session, client, "CUST-2")
    invoice_id = await session.scalar(select(Invoice.id).where(Invoice.debtor_id == case.debtor_id))
    session.add_all(
        [
            _call(case.id, client.id, agent.id, datetime(2026, 3, 5, 9, 30, tzinfo=UTC), "Promised Friday"),
            _call(other_case.id, client.id, agent.id, datetime(2026, 3, 6, 9, 0, tzinfo=UTC), "Other debtor"),
            Payment(
                client_id=client.id,
                debtor_id=case.debtor_id,
                invoice_id=invoice_id,
                reference="PAY-1",
                currency="EUR",
                amount_minor=123_456,
                paid_on=date(2026, 3, 7),
            ),
        ]
    )
    await session.flush()
    await add_dispute(
        session,
        [await session.get_one(Invoice, invoice_id)],
        reason_code="quality",
        status=DisputeStatus.RESOLVED_CREDITOR,
        opened_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 8, 15, 0, tzinfo=UTC),
    )
    return Scope.for_client(client.id), case.id


def _call(case_id: int, client_id: int, user_id: int, at: datetime, note: str) -> Interaction:
    return Interaction(
        client_id=client_id,
        case_id=case_id,
        user_id=user_id,
        channel=Channel.CALL,
        outcome=CallOutcome.PROMISE_TO_PAY,
        note=note,
        created_at=at,
    )


async def test_timeline_lists_newest_first(session: AsyncSession) -> None:
    scope, case_id = await _timeline_world(session)

    timeline = await list_timeline(session, scope, case_id)

    assert [entry.kind for entry in timeline] == ["dispute", "payment", "call", "dispute"]
    assert [entry.at for entry in timeline] == sorted((entry.at for entry in timeline), reverse=True)


async def test_timeline_names_call_agent(session: AsyncSession) -> None:
    scope, case_id = await _timeline_world(session)

    call = next(entry for entry in await list_timeline(session, scope, case_id) if entry.kind == "call")

    assert call.user_name == "Ann Agent"
    assert call.title == "Outbound call: Promise to pay"
    assert call.detail == "Promised Friday"


async def test_timeline_payment_is_date_only(session: AsyncSession) -> None:
    scope, case_id = await _timeline_world(session)

    payment = next(entry for entry in await list_timeline(session, scope, case_id) if entry.kind == "payment")

    # The client is in Amsterdam (UTC+1), and the payment still keeps its own day, 7 March.
    assert payment.at == datetime(2026, 3, 7, 0, 0, tzinfo=UTC)
    assert payment.date_only is True
    assert payment.title == "Payment of €1,234.56 received"
    assert payment.detail is not None
    assert payment.detail.startswith("Settles invoice ")


async def test_timeline_live_dispute_has_time(session: AsyncSession) -> None:
    scope, case_id = await _timeline_world(session)

    disputes = [entry for entry in await list_timeline(session, scope, case_id) if entry.kind == "dispute"]

    assert [entry.date_only for entry in disputes] == [False, False]


async def test_timeline_imported_dispute_date_only(session: AsyncSession) -> None:
    scope, case_id = await _timeline_world(session)
    dispute = await session.scalar(select(Dispute))
    assert dispute is not None
    dispute.opened_at = datetime(2026, 3, 1, tzinfo=UTC)
    await session.flush()

    timeline = await list_timeline(session, scope, case_id)

    opened = next(entry for entry in timeline if entry.title.startswith("Dispute opened"))
    assert opened.date_only is True


async def test_timeline_shows_dispute_resolution(session: AsyncSession) -> None:
    scope, case_id = await _timeline_world(session)

    newest = (await list_timeline(session, scope, case_id))[0]

    assert newest.at == datetime(2026, 3, 8, 15, 0, tzinfo=UTC)
    assert newest.title.startswith("Dispute resolved in the client's favour")


async def test_timeline_times_are_utc(session: AsyncSession) -> None:
    scope, case_id = await _timeline_world(session)

    timeline = await list_timeline(session, scope, case_id)

    assert {entry.at.utcoffset() for entry in timeline} == {timedelta(0)}


async def test_timeline_outside_scope_is_not_found(session: AsyncSession) -> None:
    _, case_id = await _timeline_world(session)
    other = await add_client(session, "other")

    with pytest.raises(NotFoundError, match=f"Case {case_id} not found"):
        await list_timeline(session, Scope.for_client(other.id), case_id)
