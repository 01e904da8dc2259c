"""Atomic claims on call-queue cases: "Next case", the one live claim per user, and releasing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.scope import Scope
from hub.cases.models import Case
from hub.cases.queue_filter import QueueFilter, active_claimer_id, load_queue_filter, utc_now
from hub.errors import NotFoundError
from hub.web.ids import is_row_id

# An agent's claim on a case lapses after this long, so an abandoned case returns to the queue.
CLAIM_TIMEOUT_SECONDS = 15 * 60


@dataclass(frozen=True)
class Claim:
    """A case claimed for a user by "Next case"; ``already_held`` means the user held it before the request."""

    case_id: int
    already_held: bool


@dataclass(frozen=True)
class ClaimHolder:
    """The user holding an unexpired claim on a case, and when the claim lapses (UTC)."""

    user_id: int
    name: str
    until: datetime

    def conflict_message(self, case_id: int) -> str:
        return (
            f"Case {case_id} is being worked by {self.name} until {self.until:%H:%M} UTC: "
            "take another case from the queue, or try again after that time."
        )


async def _lock_claims_of(session: AsyncSession, user_id: int) -> None:
    # Two "Next case" presses by one user must not both find no held claim and
    # then each claim a case. On PostgreSQL the user's row lock makes the second
    # press wait for the first to commit (NO KEY UPDATE, so inserts that
    # reference the user are not blocked). SQLite needs no lock here: the next
    # statement is an UPDATE, which takes SQLite's single writer lock for the
    # rest of the transaction and so serialises the presses in the same way.
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


async def _extend_held_claim(
    session: AsyncSession, queue_filter: QueueFilter, user_id: int, until: datetime
) -> int | None:
    held = and_(queue_filter.collectible(), queue_filter.action_due(), queue_filter.claimed_by(user_id))
    top_held = select(Case.id).where(held).order_by(Case.priority.desc(), Case.id).limit(1).scalar_subquery()
    statement = update(Case).where(Case.id == top_held).values(claimed_until=until).returning(Case.id)
    return (await session.execute(statement)).scalar_one_or_none()


async def _release_claims_of(session: AsyncSession, queue_filter: QueueFilter, user_id: int) -> None:
    # Claims on cases that left the queue (paid, rescheduled) would otherwise linger until they lapse.
    statement = (
        update(Case)
        .where(queue_filter.in_scope(), Case.claimed_by_id == user_id)
        .values(claimed_by_id=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(statement)


async def _claim_top_case(
    session: AsyncSession, queue_filter: QueueFilter, user_id: int, until: datetime
) -> int | None:
    top = select(Case.id).where(queue_filter.workable(None)).order_by(Case.priority.desc(), Case.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        # SKIP LOCKED lets concurrent claimers step over a row another transaction is
        # claiming, instead of waiting for it and then finding it taken.
        case_id = await session.scalar(top.with_for_update(skip_locked=True))
        if case_id is None:
            return None
        target = Case.id == case_id
    else:
        # SQLite runs one writer at a time, so this single UPDATE picks and claims atomically.
        target = Case.id == top.scalar_subquery()
    statement = (
        update(Case)
        .where(target, ~queue_filter.claimed_by_other(None))
        .values(claimed_by_id=user_id, claimed_until=until)
        .returning(Case.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def take_next_claim(
    session: AsyncSession,
    scope: Scope,
    user_id: int,
    *,
    client_id: int | None = None,
    segment: str | None = None,
    now: datetime | None = None,
) -> Claim | None:
    """Claim the top workable case for ``user_id`` and commit; return None when the queue is empty.

    A user has at most one live claim. One who already has an unexpired
    claim on a due case in ``scope`` gets that case back with its claim
    extended, whatever the client and segment filters, so pressing "next"
    again cannot skip a case. Claims expire after CLAIM_TIMEOUT_SECONDS.
    """
    scope_filter = await load_queue_filter(session, scope, now)
    queue_filter = scope_filter.narrowed(client_id, segment)
    until = queue_filter.now + timedelta(seconds=CLAIM_TIMEOUT_SECONDS)

    await _lock_claims_of(session, user_id)
    held_case_id = await _extend_held_claim(session, scope_filter, user_id, until)
    claim = Claim(held_case_id, already_held=True) if held_case_id is not None else None
    if claim is None:
        await _release_claims_of(session, scope_filter, user_id)
        case_id = await _claim_top_case(session, queue_filter, user_id, until)
        claim = Claim(case_id, already_held=False) if case_id is not None else None
    await session.commit()
    return claim


async def claim_next_case(
    session: AsyncSession,
    scope: Scope,
    user_id: int,
    *,
    client_id: int | None = None,
    segment: str | None = None,
    now: datetime | None = None,
) -> int | None:
    """Claim the top workable case for ``user_id`` as take_next_claim does, and return only its id."""
    claim = await take_next_claim(session, scope, user_id, client_id=client_id, segment=segment, now=now)
    return claim.case_id if claim is not None else None


async def get_case_in_scope(session: AsyncSession, scope: Scope, case_id: int, *, for_update: bool = False) -> Case:
    """Return the case, or raise NotFoundError when it does not exist or lies outside ``scope``."""
    if not is_row_id(case_id):
        raise NotFoundError(f"Case {case_id} not found: it does not exist or belongs to a client you do not work on.")
    query = select(Case).where(Case.id == case_id, Case.client_id.in_(scope.client_ids))
    case = await session.scalar(query.with_for_update() if for_update else query)
    if case is None:
        raise NotFoundError(f"Case {case_id} not found: it does not exist or belongs to a client you do not work on.")
    return case


async def find_claim_holder(session: AsyncSession, case: Case, *, now: datetime | None = None) -> ClaimHolder | None:
    """Return the user with an unexpired claim on ``case``, or None when the case is not claimed."""
    claimer_id = active_claimer_id(case, utc_now(now))
    if claimer_id is None or case.claimed_until is None:
        return None
    name = await session.scalar(select(User.display_name).where(User.id == claimer_id))
    return ClaimHolder(claimer_id, name or f"user {claimer_id}", case.claimed_until)


async def release_claim(session: AsyncSession, scope: Scope, case_id: int, user_id: int) -> None:
    """Give up ``user_id``'s claim on the case and commit; a claim held by someone else stays."""
    await get_case_in_scope(session, scope, case_id)
    await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.claimed_by_id == user_id)
        .values(claimed_by_id=None, claimed_until=None)
        .execution_options(synchronize_session="fetch")
    )
    await session.commit()
