"""Recording, evaluating and cancelling promises against real records, and their effect on the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.audit.models import AuditEvent
from hub.cases.models import Case
from hub.cases.priority import refresh_case_priority
from hub.cases.queue import claim_next_case, list_call_queue
from hub.clients.models import Client
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.interactions.models import CallOutcome, Channel, Interaction
from hub.interactions.services import log_call_outcome
from hub.invoices.models import Invoice
from hub.promises.evaluation import evaluate_debtor_promises, kept_rate
from hub.promises.models import Promise, PromiseInstalment, PromiseInvoice, PromiseStatus
from hub.promises.services import PromiseTerms, cancel_promise, list_case_promises, record_promise
from tests.factories import add_dispute
from tests.promise_factories import add_payment
from tests.queue_factories import AS_OF, NOW, add_case, add_client, add_user

TODAY = AS_OF
GRACE = 3


@dataclass
class World:
    client: Client
    case: Case
    user_id: int
    other_user_id: int

    @property
    def scope(self) -> Scope:
        return Scope.for_client(self.client.id, user_id=self.user_id)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    client = await add_client(session, timezone="Europe/Amsterdam")
    agent = await add_user(session)
    other = await add_user(session, "other@example.com", "Other Agent")
    case = await add_case(session, client, open_minor=50_000, days_past_due=30)
    await refresh_case_priority(session, case, today=TODAY)
    await session.commit()
    return World(client, case, agent.id, other.id)


def terms(amount: int = 30_000, first: date = TODAY + timedelta(days=7), **fields: object) -> PromiseTerms:
    return PromiseTerms(amount_minor=amount, first_due_on=first, **fields)  # type: ignore[arg-type]


async def record(session: AsyncSession, world: World, promise_terms: PromiseTerms, **fields: object) -> Promise:
    return await record_promise(
        session, world.scope, world.case.id, world.user_id, promise_terms, today=TODAY, now=NOW, **fields
    )  # type: ignore[arg-type]


async def instalments_of(session: AsyncSession, promise: Promise) -> list[PromiseInstalment]:
    query = select(PromiseInstalment).where(PromiseInstalment.promise_id == promise.id)
    return list((await session.scalars(query.order_by(PromiseInstalment.sequence))).all())


async def evaluate(session: AsyncSession, world: World, today: date) -> None:
    await evaluate_debtor_promises(session, world.client, [world.case.debtor_id], today)
    await session.commit()
    await session.refresh(world.case)


async def queue_ids(session: AsyncSession, world: World, day: date) -> list[int]:
    now = NOW + timedelta(days=(day - TODAY).days)
    return [entry.case_id for entry in await list_call_queue(session, world.scope, now=now)]


async def count(session: AsyncSession, model: type) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_record_stores_promise_and_interaction(session: AsyncSession, world: World) -> None:
    promise = await record(session, world, terms(), channel="email", note="Pays next week")

    interaction = await session.get_one(Interaction, promise.interaction_id)
    assert interaction.outcome == CallOutcome.PROMISE_TO_PAY
    assert interaction.channel == Channel.EMAIL
    assert interaction.note == "Pays next week"
    assert promise.created_by_id == world.user_id
    assert promise.made_on == TODAY
    assert promise.status == PromiseStatus.OPEN
    [instalment] = await instalments_of(session, promise)
    assert (instalment.due_on, instalment.amount_minor) == (TODAY + timedelta(days=7), 30_000)


async def test_record_covers_open_undisputed_invoices(session: AsyncSession, world: World) -> None:
    disputed = Invoice(
        client_id=world.client.id,
        debtor_id=world.case.debtor_id,
        number="DISPUTED-1",
        currency="EUR",
        amount_minor=5_000,
        open_minor=5_000,
        due_date=TODAY,
    )
    session.add(disputed)
    await session.flush()
    await add_dispute(session, [disputed])
    await session.commit()

    promise = await record(session, world, terms())

    query = select(Invoice.number).join(PromiseInvoice, PromiseInvoice.invoice_id == Invoice.id)
    numbers = (await session.scalars(query.where(PromiseInvoice.promise_id == promise.id))).all()
    assert len(numbers) == 1
    assert numbers[0] != "DISPUTED-1"


async def test_record_audits_creation(session: AsyncSession, world: World) -> None:
    promise = await record(session, world, terms())

    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.created"))
    assert event is not None
    assert event.target_id == promise.id
    assert event.user_id == world.user_id
    assert event.detail == {
        "case_id": world.case.id,
        "interaction_id": promise.interaction_id,
        "instalments": 1,
        "channel": "call",
    }


async def test_open_promise_holds_case_until_grace(session: AsyncSession, world: World) -> None:
    due = TODAY + timedelta(days=7)
    await record(session, world, terms(first=due))
    await session.refresh(world.case)

    assert world.case.promise_due_on == due
    assert world.case.next_action_on == due + timedelta(days=GRACE + 1)
    assert world.case.id not in await queue_ids(session, world, due + timedelta(days=GRACE))
    assert world.case.id in await queue_ids(session, world, due + timedelta(days=GRACE + 1))


async def test_open_to_kept(session: AsyncSession, world: World) -> None:
    due = TODAY + timedelta(days=7)
    promise = await record(session, world, terms(first=due))
    await add_payment(session, world.case, 30_000, due)
    await evaluate(session, world, due)

    await session.refresh(promise)
    assert promise.status == PromiseStatus.KEPT
    assert promise.paid_on_time_minor == 30_000
    assert promise.status_changed_at is not None
    assert world.case.promise_due_on is None
    assert world.case.next_action_on == due


async def test_open_to_broken_returns_case_to_queue(session: AsyncSession, world: World) -> None:
    priority_before = world.case.priority
    due = TODAY + timedelta(days=7)
    promise = await record(session, world, terms(first=due))
    broken_day = due + timedelta(days=GRACE + 1)

    await evaluate(session, world, broken_day)

    await session.refresh(promise)
    assert promise.status == PromiseStatus.BROKEN
    assert world.case.broken_promise_on == broken_day
    assert world.case.next_action_on == broken_day
    assert world.case.priority > priority_before
    assert world.case.id in await queue_ids(session, world, broken_day)


async def test_broken_marker_clears_on_next_contact(session: AsyncSession, world: World) -> None:
    due = TODAY + timedelta(days=7)
    await record(session, world, terms(first=due))
    broken_day = due + timedelta(days=GRACE + 1)
    await evaluate(session, world, broken_day)
    raised = world.case.priority

    await log_call_outcome(
        session,
        world.scope,
        world.case.id,
        world.user_id,
        outcome="no_answer",
        note=None,
        next_action_on=None,
        today=broken_day,
        now=NOW + timedelta(days=11),
    )
    await session.refresh(world.case)

    assert world.case.broken_promise_on is None
    assert world.case.priority < raised


async def test_open_to_partly_kept(session: AsyncSession, world: World) -> None:
    due = TODAY + timedelta(days=7)
    promise = await record(session, world, terms(first=due))
    await add_payment(session, world.case, 12_000, due + timedelta(days=GRACE))

    await evaluate(session, world, due + timedelta(days=GRACE))
    await session.refresh(promise)
    assert promise.status == PromiseStatus.OPEN

    await evaluate(session, world, due + timedelta(days=GRACE + 1))
    await session.refresh(promise)
    assert promise.status == PromiseStatus.PARTLY_KEPT
    assert promise.paid_on_time_minor == 12_000
    assert world.case.broken_promise_on == due + timedelta(days=GRACE + 1)


async def test_plan_first_kept_then_second_broken(session: AsyncSession, world: World) -> None:
    first = TODAY + timedelta(days=5)
    promise = await record(session, world, terms(20_000, first, instalments=2, frequency="weekly"))
    second = first + timedelta(days=7)

    await add_payment(session, world.case, 10_000, first)
    await evaluate(session, world, first + timedelta(days=1))
    await session.refresh(promise)
    rows = await instalments_of(session, promise)
    assert [row.status for row in rows] == [PromiseStatus.KEPT, PromiseStatus.OPEN]
    assert promise.status == PromiseStatus.OPEN
    assert world.case.promise_due_on == second
    assert world.case.next_action_on == second + timedelta(days=GRACE + 1)

    await evaluate(session, world, second + timedelta(days=GRACE + 1))
    await session.refresh(promise)
    rows = await instalments_of(session, promise)
    assert [row.status for row in rows] == [PromiseStatus.KEPT, PromiseStatus.BROKEN]
    assert promise.status == PromiseStatus.PARTLY_KEPT
    assert world.case.broken_promise_on == second + timedelta(days=GRACE + 1)


async def test_payment_before_recording_counts(session: AsyncSession, world: World) -> None:
    await add_payment(session, world.case, 30_000, TODAY)
    await session.commit()

    promise = await record(session, world, terms())

    assert promise.status == PromiseStatus.KEPT
    assert promise.paid_minor == 30_000


async def test_payment_before_promise_day_ignored(session: AsyncSession, world: World) -> None:
    await add_payment(session, world.case, 30_000, TODAY - timedelta(days=1))
    await session.commit()

    promise = await record(session, world, terms())

    assert promise.status == PromiseStatus.OPEN
    assert promise.paid_minor == 0


async def test_partial_payments_add_up(session: AsyncSession, world: World) -> None:
    due = TODAY + timedelta(days=7)
    promise = await record(session, world, terms(first=due))
    for day, amount in ((TODAY, 10_000), (TODAY + timedelta(days=3), 5_000), (due + timedelta(days=2), 15_000)):
        await add_payment(session, world.case, amount, day)

    await evaluate(session, world, due + timedelta(days=2))

    await session.refresh(promise)
    assert promise.status == PromiseStatus.KEPT
    assert promise.paid_minor == 30_000


async def test_overpayment_recorded_in_full(session: AsyncSession, world: World) -> None:
    promise = await record(session, world, terms())
    await add_payment(session, world.case, 45_000, TODAY + timedelta(days=1))

    await evaluate(session, world, TODAY + timedelta(days=1))

    await session.refresh(promise)
    assert promise.status == PromiseStatus.KEPT
    assert promise.paid_minor == 45_000
    assert promise.paid_on_time_minor == 45_000


async def test_late_payment_file_fixes_broken(session: AsyncSession, world: World) -> None:
    due = TODAY + timedelta(days=7)
    promise = await record(session, world, terms(first=due))
    broken_day = due + timedelta(days=GRACE + 1)
    await evaluate(session, world, broken_day)
    assert world.case.broken_promise_on == broken_day

    # The bank file with a payment made on the due date arrives two days later.
    await add_payment(session, world.case, 30_000, due)
    await evaluate(session, world, broken_day + timedelta(days=2))

    await session.refresh(promise)
    assert promise.status == PromiseStatus.KEPT
    assert world.case.broken_promise_on is None


async def test_grace_boundary_with_records(session: AsyncSession, world: World) -> None:
    due = TODAY + timedelta(days=7)
    promise = await record(session, world, terms(first=due))
    await add_payment(session, world.case, 30_000, due + timedelta(days=GRACE + 1))

    await evaluate(session, world, due + timedelta(days=GRACE + 1))

    await session.refresh(promise)
    assert promise.status == PromiseStatus.BROKEN
    assert promise.paid_minor == 30_000
    assert promise.paid_on_time_minor == 0


async def test_month_end_plan_stored(session: AsyncSession, world: World) -> None:
    today = date(2027, 1, 20)
    promise = await record_promise(
        session,
        world.scope,
        world.case.id,
        world.user_id,
        terms(30_000, date(2027, 1, 31), instalments=3, frequency="monthly"),
        today=today,
        now=NOW,
    )

    rows = await instalments_of(session, promise)
    assert [row.due_on for row in rows] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    assert [row.amount_minor for row in rows] == [10_000, 10_000, 10_000]


async def test_new_promise_replaces_open_one(session: AsyncSession, world: World) -> None:
    first = await record(session, world, terms())
    second = await record(session, world, terms(20_000, TODAY + timedelta(days=14)))

    await session.refresh(first)
    assert first.status == PromiseStatus.CANCELLED
    assert f"Replaced by promise #{second.id}." in (first.note or "")
    assert second.status == PromiseStatus.OPEN
    await session.refresh(world.case)
    assert world.case.promise_due_on == TODAY + timedelta(days=14)


async def test_cancel_returns_case_to_queue(session: AsyncSession, world: World) -> None:
    promise = await record(session, world, terms())

    await cancel_promise(session, world.scope, promise.id, world.user_id, "Debtor withdrew", today=TODAY, now=NOW)

    await session.refresh(promise)
    await session.refresh(world.case)
    assert promise.status == PromiseStatus.CANCELLED
    assert "Cancelled: Debtor withdrew" in (promise.note or "")
    assert world.case.promise_due_on is None
    assert world.case.next_action_on == TODAY
    assert world.case.id in await queue_ids(session, world, TODAY)
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.cancelled"))
    assert event is not None
    assert event.target_id == promise.id


async def test_cancelled_promise_ignores_payments(session: AsyncSession, world: World) -> None:
    promise = await record(session, world, terms())
    await cancel_promise(session, world.scope, promise.id, world.user_id, "Wrong amount", today=TODAY, now=NOW)
    await add_payment(session, world.case, 30_000, TODAY + timedelta(days=1))

    await evaluate(session, world, TODAY + timedelta(days=1))

    await session.refresh(promise)
    assert promise.status == PromiseStatus.CANCELLED
    assert promise.paid_minor == 0


async def test_cancel_needs_reason(session: AsyncSession, world: World) -> None:
    promise = await record(session, world, terms())

    with pytest.raises(ValidationError) as caught:
        await cancel_promise(session, world.scope, promise.id, world.user_id, "  ", today=TODAY, now=NOW)

    assert set(caught.value.field_errors) == {"reason"}


async def test_cancel_kept_promise_conflicts(session: AsyncSession, world: World) -> None:
    await add_payment(session, world.case, 30_000, TODAY)
    promise = await record(session, world, terms())

    with pytest.raises(ConflictError, match="is kept, not open"):
        await cancel_promise(session, world.scope, promise.id, world.user_id, "Too late", today=TODAY, now=NOW)


async def test_above_balance_needs_confirmation(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        await record(session, world, terms(60_000))
    await session.rollback()
    await session.refresh(world.client)
    await session.refresh(world.case)

    message = caught.value.field_errors["confirm_above_balance"]
    assert "€600.00" in message
    assert "€500.00" in message
    assert await count(session, Promise) == 0
    assert await count(session, Interaction) == 0

    promise = await record(session, world, terms(60_000, confirm_above_balance=True))
    assert promise.amount_minor == 60_000


async def test_unknown_invoice_named(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError, match="Invoice 'NOPE-1' is not an open invoice"):
        await record(session, world, terms(invoice_numbers=["NOPE-1"]))


async def test_other_debtor_invoice_rejected(session: AsyncSession, world: World) -> None:
    other_case = await add_case(session, world.client, open_minor=5_000)
    number = await session.scalar(select(Invoice.number).where(Invoice.debtor_id == other_case.debtor_id))
    await session.commit()

    with pytest.raises(ValidationError, match=f"Invoice '{number}' is not an open invoice"):
        await record(session, world, terms(invoice_numbers=[number]))


async def test_settled_invoice_rejected(session: AsyncSession, world: World) -> None:
    settled = Invoice(
        client_id=world.client.id,
        debtor_id=world.case.debtor_id,
        number="PAID-1",
        currency="EUR",
        amount_minor=5_000,
        open_minor=0,
        due_date=TODAY - timedelta(days=60),
        settled_date=TODAY - timedelta(days=50),
    )
    session.add(settled)
    await session.commit()

    with pytest.raises(ValidationError, match="Invoice 'PAID-1' is not an open invoice"):
        await record(session, world, terms(invoice_numbers=["PAID-1"]))


async def test_unknown_channel_rejected(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError, match="Unknown channel 'fax'"):
        await record(session, world, terms(), channel="fax")


async def test_claim_of_other_user_conflicts(session: AsyncSession, world: World) -> None:
    other_scope = Scope.for_client(world.client.id, user_id=world.other_user_id)
    assert await claim_next_case(session, other_scope, world.other_user_id, now=NOW) == world.case.id

    with pytest.raises(ConflictError):
        await record(session, world, terms())


async def test_other_client_case_not_found(session: AsyncSession, world: World) -> None:
    stranger = await add_client(session, "globex")
    other_case = await add_case(session, stranger)
    await session.commit()

    with pytest.raises(NotFoundError):
        await record_promise(session, world.scope, other_case.id, world.user_id, terms(), today=TODAY, now=NOW)
    with pytest.raises(NotFoundError):
        await list_case_promises(session, world.scope, other_case.id)


async def test_status_change_audited(session: AsyncSession, world: World) -> None:
    due = TODAY + timedelta(days=7)
    promise = await record(session, world, terms(first=due))

    await evaluate(session, world, due + timedelta(days=GRACE + 1))

    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "promise.status_changed"))
    assert event is not None
    assert event.user_id is None
    assert event.target_id == promise.id
    assert event.detail == {"case_id": world.case.id, "previous": "open", "status": "broken"}


async def test_kept_rate_counts_past_deadlines(session: AsyncSession, world: World) -> None:
    first = TODAY + timedelta(days=5)
    await record(session, world, terms(30_000, first, instalments=3, frequency="weekly"))
    await add_payment(session, world.case, 10_000, first)
    await add_payment(session, world.case, 4_000, first + timedelta(days=7))
    evaluation_day = first + timedelta(days=7 + GRACE + 1)
    await evaluate(session, world, evaluation_day)

    kept, due = await kept_rate(session, world.client, world.case.id, today=evaluation_day)

    assert (kept, due) == (14_000, 20_000)
    assert await kept_rate(session, world.client, today=first) == (0, 0)


async def test_disputed_invoice_rejected(session: AsyncSession, world: World) -> None:
    disputed = Invoice(
        client_id=world.client.id,
        debtor_id=world.case.debtor_id,
        number="DISPUTED-2",
        currency="EUR",
        amount_minor=5_000,
        open_minor=5_000,
        due_date=TODAY,
    )
    session.add(disputed)
    await session.flush()
    dispute = await add_dispute(session, [disputed])
    await session.commit()

    with pytest.raises(ValidationError, match=f"Invoice 'DISPUTED-2' is in open dispute {dispute.id}") as caught:
        await record(session, world, terms(invoice_numbers=["DISPUTED-2"], confirm_above_balance=True))

    assert "invoices" in caught.value.field_errors
    assert await session.scalar(select(func.count()).select_from(Promise)) == 0
