"""Logging call outcomes: validation, scheduling, claim release and priority."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.cases.priority import refresh_priorities
from hub.cases.queue import CLAIM_TIMEOUT_SECONDS, claim_next_case, list_call_queue
from hub.clients.models import Client
from hub.db import create_session_factory
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.interactions.models import CallOutcome, Channel, Direction, Interaction
from hub.interactions.services import NEXT_ACTION_MAX_DAYS, NOTE_MAX_CHARS, log_call_outcome
from tests.queue_factories import AS_OF, NOW, add_case, add_client, add_user

TODAY = AS_OF


@dataclass
class World:
    client: Client
    case: Case
    user_id: int

    @property
    def scope(self) -> Scope:
        return Scope.for_client(self.client.id, user_id=self.user_id)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    client = await add_client(session)
    agent = await add_user(session)
    case = await add_case(session, client)
    await session.commit()
    return World(client, case, agent.id)


async def _log(session: AsyncSession, world: World, **fields: object) -> Interaction:
    values: dict[str, object] = {"outcome": "no_answer", "note": None, "next_action_on": None} | fields
    return await log_call_outcome(session, world.scope, world.case.id, world.user_id, today=TODAY, **values)  # type: ignore[arg-type]


async def _queue_ids(session: AsyncSession, scope: Scope, day_offset: int = 0) -> list[int]:
    now = NOW + timedelta(days=day_offset)
    return [entry.case_id for entry in await list_call_queue(session, scope, now=now)]


async def test_outcome_stores_outbound_call(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="right_party_contact", note="  Spoke to the owner  ")

    stored = await session.scalar(select(Interaction).where(Interaction.case_id == world.case.id))
    assert stored is not None
    assert stored.channel == Channel.CALL
    assert stored.direction == Direction.OUTBOUND
    assert stored.user_id == world.user_id
    assert stored.outcome == CallOutcome.RIGHT_PARTY_CONTACT
    assert stored.note == "Spoke to the owner"


async def test_outcome_commits_interaction(session: AsyncSession, engine: AsyncEngine, world: World) -> None:
    await _log(session, world)

    async with create_session_factory(engine)() as other:
        count = await other.scalar(select(func.count()).select_from(Interaction))
    assert count == 1


async def test_outcome_defaults_next_action_to_tomorrow(session: AsyncSession, world: World) -> None:
    interaction = await _log(session, world, outcome="voicemail")

    assert world.case.next_action_on == TODAY + timedelta(days=1)
    assert interaction.next_action_on == TODAY + timedelta(days=1)


async def test_outcome_keeps_given_next_action(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="wrong_party", next_action_on=TODAY + timedelta(days=10))

    assert world.case.next_action_on == TODAY + timedelta(days=10)


async def test_outcome_removes_case_until_next_action(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="promise_to_pay", next_action_on=TODAY + timedelta(days=3))

    assert await _queue_ids(session, world.scope) == []
    assert await _queue_ids(session, world.scope, day_offset=2) == []
    assert await _queue_ids(session, world.scope, day_offset=3) == [world.case.id]


async def test_promise_sets_promise_due_date(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="promise_to_pay", next_action_on=TODAY + timedelta(days=7))

    assert world.case.promise_due_on == TODAY + timedelta(days=7)


async def test_call_back_leaves_promise_date(session: AsyncSession, world: World) -> None:
    await _log(session, world, outcome="call_back_requested", next_action_on=TODAY)

    assert world.case.promise_due_on is None


async def test_promise_due_soon_raises_priority(session: AsyncSession, world: World) -> None:
    await refresh_priorities(session, world.client, today=TODAY)
    before = world.case.priority

    await _log(session, world, outcome="promise_to_pay", next_action_on=TODAY + timedelta(days=1))

    assert world.case.priority > before


async def test_outcome_releases_claim(session: AsyncSession, world: World) -> None:
    await claim_next_case(session, world.scope, world.user_id, now=NOW)

    await _log(session, world)

    stored = await session.get_one(Case, world.case.id, populate_existing=True)
    assert stored.claimed_by_id is None
    assert stored.claimed_until is None


async def test_outcome_rejects_unknown_code(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="hung_up")

    assert "'hung_up'" in raised.value.field_errors["outcome"]


@pytest.mark.parametrize("outcome", [CallOutcome.PROMISE_TO_PAY, CallOutcome.CALL_BACK_REQUESTED])
async def test_outcome_requires_date(session: AsyncSession, world: World, outcome: CallOutcome) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome=outcome.value)

    message = raised.value.field_errors["next_action_on"]
    assert message.startswith(f"A next action date is required for {outcome.label}: pick ")


async def test_outcome_rejects_past_date(session: AsyncSession, world: World) -> None:
    yesterday = TODAY - timedelta(days=1)

    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="promise_to_pay", next_action_on=yesterday)

    assert yesterday.isoformat() in raised.value.field_errors["next_action_on"]


async def test_outcome_rejects_long_note(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, note="x" * (NOTE_MAX_CHARS + 1))

    assert str(NOTE_MAX_CHARS) in raised.value.field_errors["note"]


async def test_outcome_accepts_note_at_limit(session: AsyncSession, world: World) -> None:
    interaction = await _log(session, world, note="x" * NOTE_MAX_CHARS)

    assert interaction.note is not None
    assert len(interaction.note) == NOTE_MAX_CHARS


async def test_rejected_outcome_stores_nothing(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError):
        await _log(session, world, outcome="promise_to_pay", next_action_on=None)

    count = await session.scalar(select(func.count()).select_from(Interaction))
    assert count == 0


async def test_outcome_outside_scope_is_not_found(session: AsyncSession, world: World) -> None:
    other = await add_client(session, "other")
    outsider = Scope.for_client(other.id, user_id=world.user_id)

    with pytest.raises(NotFoundError, match=f"Case {world.case.id} not found"):
        await log_call_outcome(
            session, outsider, world.case.id, world.user_id, outcome="no_answer", note=None, next_action_on=None
        )


async def test_outcome_rejects_nul_in_note(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, note="hello\x00world")

    assert "U+0000" in raised.value.field_errors["note"]


async def test_outcome_rejects_control_in_outcome(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="no_answer\x1b")

    assert "U+001B" in raised.value.field_errors["outcome"]


async def test_outcome_keeps_tabs_and_newlines(session: AsyncSession, world: World) -> None:
    interaction = await _log(session, world, note="first\r\n\tsecond")

    assert interaction.note == "first\r\n\tsecond"


async def test_outcome_rejects_far_date(session: AsyncSession, world: World) -> None:
    far = TODAY + timedelta(days=NEXT_ACTION_MAX_DAYS + 1)

    with pytest.raises(ValidationError) as raised:
        await _log(session, world, outcome="promise_to_pay", next_action_on=far)

    message = raised.value.field_errors["next_action_on"]
    assert far.isoformat() in message
    assert (TODAY + timedelta(days=NEXT_ACTION_MAX_DAYS)).isoformat() in message


async def test_outcome_rejects_year_9999(session: AsyncSession, world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        await _log(session, world, next_action_on=date(9999, 12, 31))

    assert "9999-12-31" in raised.value.field_errors["next_action_on"]


async def test_outcome_accepts_date_at_limit(session: AsyncSession, world: World) -> None:
    latest = TODAY + timedelta(days=NEXT_ACTION_MAX_DAYS)

    interaction = await _log(session, world, outcome="promise_to_pay", next_action_on=latest)

    assert interaction.next_action_on == latest


async def _claim_for_other(session: AsyncSession, world: World) -> int:
    other = await add_user(session, "other@example.com", "Olga Other")
    await session.commit()
    await claim_next_case(session, world.scope, other.id, now=NOW)
    return other.id


async def test_outcome_on_claimed_case_conflicts(session: AsyncSession, world: World) -> None:
    await _claim_for_other(session, world)

    with pytest.raises(ConflictError) as raised:
        await _log(session, world, now=NOW)

    assert str(raised.value) == (
        f"Case {world.case.id} is being worked by Olga Other until 12:15 UTC: "
        "take another case from the queue, or try again after that time."
    )


async def test_outcome_conflict_keeps_claim(session: AsyncSession, world: World) -> None:
    other_id = await _claim_for_other(session, world)
    case_id = world.case.id

    with pytest.raises(ConflictError):
        await _log(session, world, now=NOW)
    await session.rollback()

    stored = await session.get_one(Case, case_id, populate_existing=True)
    assert stored.claimed_by_id == other_id
    assert await session.scalar(select(func.count()).select_from(Interaction)) == 0


async def test_outcome_after_claim_lapses(session: AsyncSession, world: World) -> None:
    await _claim_for_other(session, world)
    later = NOW + timedelta(seconds=CLAIM_TIMEOUT_SECONDS + 1)

    interaction = await _log(session, world, now=later)

    assert interaction.case_id == world.case.id


async def test_outcome_huge_case_id_not_found(session: AsyncSession, world: World) -> None:
    with pytest.raises(NotFoundError, match=f"Case {2**63} not found"):
        await log_call_outcome(
            session, world.scope, 2**63, world.user_id, outcome="no_answer", note=None, next_action_on=None
        )
