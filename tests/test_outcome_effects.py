"""What each outcome does to the case: channels, notes, wrong party, call-backs at a time, already paid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.cases.queue import claim_next_case, count_call_queue, list_call_queue, take_next_claim
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.errors import ValidationError
from hub.imports.mapping import load_mapping
from hub.imports.reader import read_table
from hub.imports.services import import_table
from hub.interactions.models import CallOutcome, Channel, Direction, Interaction
from hub.interactions.services import PaidClaim, log_call_outcome
from hub.payments.models import PaymentCheck, PaymentCheckStatus
from tests.queue_factories import AS_OF, NOW, add_case, add_client, add_user

TODAY = AS_OF
PHONE = "+31201234567"


@dataclass
class World:
    client: Client
    case: Case
    debtor: Debtor
    user_id: int

    @property
    def scope(self) -> Scope:
        return Scope.for_client(self.client.id, user_id=self.user_id)


async def _world(session: AsyncSession, client_zone: str = "Europe/Amsterdam", debtor_zone: str | None = None) -> World:
    client = await add_client(session, timezone=client_zone)
    agent = await add_user(session)
    case = await add_case(session, client)
    debtor = await session.get_one(Debtor, case.debtor_id)
    debtor.phone = PHONE
    debtor.timezone = debtor_zone
    await session.commit()
    return World(client, case, debtor, agent.id)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await _world(session)


async def _log(session: AsyncSession, world: World, **fields: object) -> Interaction:
    values: dict[str, object] = {"outcome": "no_answer", "note": None, "next_action_on": None} | fields
    values.setdefault("now", NOW)
    return await log_call_outcome(session, world.scope, world.case.id, world.user_id, today=TODAY, **values)  # type: ignore[arg-type]


async def _count(session: AsyncSession, model: type) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


# Channels and notes


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS, Channel.LETTER])
async def test_outcome_stores_channel(session: AsyncSession, world: World, channel: Channel) -> None:
    interaction = await _log(session, world, outcome="right_party_contact", channel=channel.value)

    stored = await session.get_one(Interaction, interaction.id, populate_existing=True)
    assert stored.channel == channel
    assert stored.direction == Direction.OUTBOUND
    assert stored.outcome == CallOutcome.RIGHT_PARTY_CONTACT


async def test_unknown_channel_rejected(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, channel="fax")

    message = raised.value.field_errors["channel"]
    assert "'fax'" in message
    assert "call, email, sms, letter, note" in message


@pytest.mark.parametrize(
    ("outcome", "channel"), [("no_answer", "email"), ("voicemail", "sms"), ("wrong_party", "letter")]
)
async def test_outcome_needs_fitting_channel(session: AsyncSession, world: World, outcome: str, channel: str) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome=outcome, channel=channel)

    assert f"not {channel}" in raised.value.field_errors["outcome"]
    assert await _count(session, Interaction) == 0


async def test_call_without_outcome_rejected(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="")

    assert raised.value.field_errors["outcome"].startswith("Outcome is missing: pick what came of the call")


async def test_note_keeps_schedule_and_claim(session: AsyncSession, world: World) -> None:
    await claim_next_case(session, world.scope, world.user_id, now=NOW)
    world.case.next_action_on = None
    await session.commit()

    interaction = await _log(session, world, outcome="", channel="note", note="Owner is on holiday until Monday")

    stored = await session.get_one(Case, world.case.id, populate_existing=True)
    assert interaction.channel == Channel.NOTE
    assert interaction.outcome is None
    assert interaction.next_action_on is None
    assert stored.next_action_on is None
    assert stored.claimed_by_id == world.user_id


async def test_note_with_date_reschedules(session: AsyncSession, world: World) -> None:
    day = TODAY + timedelta(days=4)

    await _log(session, world, outcome="", channel="note", note="Ring after the audit", next_action_on=day)

    stored = await session.get_one(Case, world.case.id, populate_existing=True)
    assert stored.next_action_on == day


async def test_empty_note_rejected(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="", channel="note", note="   ")

    assert "needs text" in raised.value.field_errors["note"]
    assert await _count(session, Interaction) == 0


# Wrong party


async def test_wrong_party_marks_phone(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="wrong_party", note="A bakery answered")

    debtor = await session.get_one(Debtor, world.debtor.id, populate_existing=True)
    assert debtor.phone == PHONE
    assert debtor.unusable_phone == PHONE
    assert debtor.unusable_phone_at == NOW
    assert debtor.phone_usable is False


async def test_wrong_party_by_sms(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="wrong_party", channel="sms")

    debtor = await session.get_one(Debtor, world.debtor.id, populate_existing=True)
    assert debtor.unusable_phone == PHONE


async def test_wrong_party_twice_keeps_date(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="wrong_party")
    later = NOW + timedelta(days=2)

    await _log(session, world, outcome="wrong_party", now=later)

    debtor = await session.get_one(Debtor, world.debtor.id, populate_existing=True)
    assert debtor.unusable_phone_at == NOW


async def test_wrong_party_without_phone(session: AsyncSession, world: World) -> None:
    world.debtor.phone = None
    await session.commit()

    await _log(session, world, outcome="wrong_party")

    debtor = await session.get_one(Debtor, world.debtor.id, populate_existing=True)
    assert debtor.unusable_phone is None
    assert debtor.unusable_phone_at is None


async def test_other_outcome_keeps_phone(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="no_answer")

    debtor = await session.get_one(Debtor, world.debtor.id, populate_existing=True)
    assert debtor.phone_usable is True


async def test_queue_row_shows_unusable_phone(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="wrong_party", next_action_on=TODAY)

    entries = await list_call_queue(session, world.scope, now=NOW)

    assert [(entry.case_id, entry.has_phone, entry.phone_unusable) for entry in entries] == [
        (world.case.id, True, True)
    ]


def _debtors_file(tmp_path: Path, reference: str, phone: str) -> Path:
    path = tmp_path / "debtors.csv"
    path.write_text(f"reference,name,phone,country\n{reference},Debtor,{phone},NL\n")
    return path


async def _import_phone(session: AsyncSession, world: World, tmp_path: Path, phone: str) -> Debtor:
    mapping = load_mapping(None)
    table = read_table(_debtors_file(tmp_path, world.debtor.reference, phone), mapping)
    await import_table(session, "debtors", world.client.slug, table, mapping)
    await session.commit()
    return await session.get_one(Debtor, world.debtor.id, populate_existing=True)


async def test_import_new_phone_usable(session: AsyncSession, world: World, tmp_path: Path) -> None:
    await _log(session, world, outcome="wrong_party")

    debtor = await _import_phone(session, world, tmp_path, "020 765 4321")

    assert debtor.phone == "+31207654321"
    assert debtor.unusable_phone == PHONE
    assert debtor.phone_usable is True


async def test_import_same_phone_stays_unusable(session: AsyncSession, world: World, tmp_path: Path) -> None:
    await _log(session, world, outcome="wrong_party")

    # The same number written the national way is stored in E.164 and so still matches.
    debtor = await _import_phone(session, world, tmp_path, "020 123 4567")

    assert debtor.phone == PHONE
    assert debtor.phone_usable is False


# Call-backs at a time of day


async def test_call_back_stores_local_time(session: AsyncSession) -> None:
    world = await _world(session, debtor_zone="America/New_York")
    day = TODAY + timedelta(days=1)

    interaction = await _log(
        session, world, outcome="call_back_requested", next_action_on=day, next_action_time=time(9, 30)
    )

    case = await session.get_one(Case, world.case.id, populate_existing=True)
    # 2026-03-11 09:30 in New York is 13:30 UTC: US daylight saving time began on 2026-03-08.
    assert case.next_action_at == datetime(2026, 3, 11, 13, 30, tzinfo=UTC)
    assert case.next_action_on == day
    assert interaction.next_action_on == day


async def test_call_back_uses_client_zone(session: AsyncSession, world: World) -> None:
    await _log(
        session, world, outcome="call_back_requested", next_action_on=date(2026, 3, 11), next_action_time=time(9, 30)
    )

    case = await session.get_one(Case, world.case.id, populate_existing=True)
    # Amsterdam is on UTC+1 until the end of March.
    assert case.next_action_at == datetime(2026, 3, 11, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("at", [time(8, 0), time(21, 0)])
async def test_call_back_window_edges_accepted(session: AsyncSession, world: World, at: time) -> None:
    interaction = await _log(
        session, world, outcome="call_back_requested", next_action_on=date(2026, 3, 11), next_action_time=at
    )

    assert interaction.outcome == CallOutcome.CALL_BACK_REQUESTED


@pytest.mark.parametrize("at", [time(7, 59), time(21, 1), time(2, 0)])
async def test_call_back_outside_window(session: AsyncSession, world: World, at: time) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="call_back_requested", next_action_on=date(2026, 3, 11), next_action_time=at)

    message = raised.value.field_errors["next_action_time"]
    assert f"{at:%H:%M}" in message
    assert "08:00-21:00" in message
    assert "Europe/Amsterdam" in message
    assert await _count(session, Interaction) == 0


async def test_call_back_in_past_rejected(session: AsyncSession, world: World) -> None:
    # NOW is 13:00 in Amsterdam, so 12:30 the same day has passed.
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="call_back_requested", next_action_on=TODAY, next_action_time=time(12, 30))

    message = raised.value.field_errors["next_action_time"]
    assert "2026-03-10 12:30" in message
    assert "already passed" in message


async def test_call_back_later_today(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="call_back_requested", next_action_on=TODAY, next_action_time=time(13, 30))

    case = await session.get_one(Case, world.case.id, populate_existing=True)
    assert case.next_action_at == datetime(2026, 3, 10, 12, 30, tzinfo=UTC)


async def test_time_needs_call_back(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="voicemail", next_action_time=time(10, 0))

    assert "applies only to Call back requested" in raised.value.field_errors["next_action_time"]


async def test_call_back_time_needs_date(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="call_back_requested", next_action_time=time(10, 0))

    assert "A next action date is required" in raised.value.field_errors["next_action_on"]


async def test_later_outcome_clears_time(session: AsyncSession, world: World) -> None:
    await _log(
        session, world, outcome="call_back_requested", next_action_on=date(2026, 3, 11), next_action_time=time(10, 0)
    )

    await _log(session, world, outcome="voicemail", now=NOW + timedelta(minutes=5))

    case = await session.get_one(Case, world.case.id, populate_existing=True)
    assert case.next_action_at is None


async def _tokyo_call_back(session: AsyncSession) -> World:
    """A client in Los Angeles whose debtor in Tokyo asks for a call at 08:30 on 11 March, Tokyo time.

    That instant is 2026-03-10 23:30 UTC, still 10 March in Los Angeles, so a
    queue that compared only days would hold the case until the client's midnight.
    """
    world = await _world(session, client_zone="America/Los_Angeles", debtor_zone="Asia/Tokyo")
    await _log(
        session,
        world,
        outcome="call_back_requested",
        next_action_on=date(2026, 3, 11),
        next_action_time=time(8, 30),
    )
    return world


@pytest.mark.parametrize(
    ("at", "handed_out"),
    [
        (datetime(2026, 3, 10, 23, 29, 59, tzinfo=UTC), False),
        (datetime(2026, 3, 10, 23, 30, tzinfo=UTC), True),
        (datetime(2026, 3, 11, 2, 0, tzinfo=UTC), True),
    ],
)
async def test_next_case_waits_for_call_back(session: AsyncSession, at: datetime, handed_out: bool) -> None:
    world = await _tokyo_call_back(session)

    claim = await take_next_claim(session, world.scope, world.user_id, now=at)

    if handed_out:
        assert claim is not None
        assert claim.case_id == world.case.id
    else:
        assert claim is None


async def test_call_back_counts_as_later(session: AsyncSession) -> None:
    world = await _tokyo_call_back(session)

    before = await count_call_queue(session, world.scope, now=datetime(2026, 3, 10, 23, 0, tzinfo=UTC))
    after = await count_call_queue(session, world.scope, now=datetime(2026, 3, 10, 23, 30, tzinfo=UTC))

    assert (before.total, before.scheduled_later) == (0, 1)
    assert (after.total, after.scheduled_later) == (1, 0)


async def test_day_only_call_back_waits_for_day(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="call_back_requested", next_action_on=TODAY + timedelta(days=1))

    before = await take_next_claim(session, world.scope, world.user_id, now=NOW)
    after = await take_next_claim(session, world.scope, world.user_id, now=NOW + timedelta(days=1))

    assert before is None
    assert after is not None
    assert after.case_id == world.case.id


# Already paid


async def _only_check(session: AsyncSession) -> PaymentCheck:
    checks = list((await session.scalars(select(PaymentCheck).execution_options(populate_existing=True))).all())
    assert len(checks) == 1
    return checks[0]


async def test_already_paid_opens_check(session: AsyncSession, world: World) -> None:
    paid = PaidClaim(paid_on=TODAY - timedelta(days=2), amount_minor=12_345, reference=" NL-TRX-9 ")

    interaction = await _log(session, world, outcome="already_paid", paid=paid)

    check = await _only_check(session)
    case = await session.get_one(Case, world.case.id, populate_existing=True)
    assert check.status == PaymentCheckStatus.OPEN
    assert check.interaction_id == interaction.id
    assert check.case_id == world.case.id
    assert (check.claimed_paid_on, check.claimed_amount_minor) == (TODAY - timedelta(days=2), 12_345)
    assert check.claimed_reference == "NL-TRX-9"
    assert check.due_on == TODAY + timedelta(days=5)
    assert case.next_action_on == check.due_on
    assert interaction.next_action_on == check.due_on


async def test_already_paid_without_details(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="already_paid")

    check = await _only_check(session)
    assert (check.claimed_paid_on, check.claimed_amount_minor, check.claimed_reference) == (None, None, None)


async def test_already_paid_keeps_given_date(session: AsyncSession, world: World) -> None:
    day = TODAY + timedelta(days=2)

    await _log(session, world, outcome="already_paid", next_action_on=day)

    case = await session.get_one(Case, world.case.id, populate_existing=True)
    assert case.next_action_on == day


async def test_already_paid_leaves_queue(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="already_paid")

    due_on = (await _only_check(session)).due_on
    before = await list_call_queue(session, world.scope, now=NOW + timedelta(days=4))
    on_due = await list_call_queue(session, world.scope, now=NOW + timedelta(days=(due_on - TODAY).days))

    assert before == []
    assert [entry.case_id for entry in on_due] == [world.case.id]


async def test_paid_on_future_rejected(session: AsyncSession, world: World) -> None:
    future = TODAY + timedelta(days=1)

    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="already_paid", paid=PaidClaim(paid_on=future))

    assert future.isoformat() in raised.value.field_errors["paid_on"]
    assert await _count(session, PaymentCheck) == 0
    assert await _count(session, Interaction) == 0


@pytest.mark.parametrize("amount", [0, -5])
async def test_paid_amount_must_be_positive(session: AsyncSession, world: World, amount: int) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="already_paid", paid=PaidClaim(amount_minor=amount))

    assert "more than zero" in raised.value.field_errors["paid_amount"]


async def test_long_bank_reference_rejected(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="already_paid", paid=PaidClaim(reference="R" * 65))

    assert "65 characters" in raised.value.field_errors["paid_reference"]


async def test_paid_details_need_already_paid(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="no_answer", paid=PaidClaim(amount_minor=100))

    assert "apply only to Already paid" in raised.value.field_errors["paid_on"]
    assert await _count(session, PaymentCheck) == 0
