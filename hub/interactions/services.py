"""Logging call outcomes on a case; the case's timeline lives in hub.interactions.timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.claims import find_claim_holder, get_case_in_scope
from hub.cases.models import Case
from hub.cases.priority import client_today, refresh_case_priority
from hub.clients.models import Client
from hub.errors import ConflictError, ValidationError
from hub.interactions.models import CallOutcome, Channel, Direction, Interaction
from hub.interactions.timeline import TimelineEntry, list_timeline
from hub.text import require_plain_text

# TimelineEntry and list_timeline stay importable from here for existing callers.
__all__ = [
    "NEXT_ACTION_MAX_DAYS",
    "NOTE_MAX_CHARS",
    "CaseWork",
    "TimelineEntry",
    "add_interaction",
    "begin_case_work",
    "list_timeline",
    "log_call_outcome",
    "require_claim_free_or_own",
]

NOTE_MAX_CHARS = 2000
# A next action further ahead than this is almost always a typing error (year 2062 for 2026).
NEXT_ACTION_MAX_DAYS = 365
# Outcomes that only make sense with an agreed date, with the date the agent should pick.
DATE_HINTS = {
    CallOutcome.PROMISE_TO_PAY: "pick the promised payment date",
    CallOutcome.CALL_BACK_REQUESTED: "pick the day the debtor asked to be called back",
}
OUTCOMES_NEEDING_DATE = frozenset(DATE_HINTS)


def _parse_outcome(outcome: str) -> CallOutcome:
    require_plain_text("outcome", "Outcome", outcome)
    try:
        return CallOutcome(outcome)
    except ValueError:
        choices = ", ".join(o.value for o in CallOutcome)
        message = f"Unknown call outcome {outcome!r}: use one of {choices}."
        raise ValidationError(message, {"outcome": message}) from None


def clean_note(note: str | None) -> str | None:
    text = (note or "").strip()
    require_plain_text("note", "Note", text, multiline=True)
    if len(text) > NOTE_MAX_CHARS:
        message = f"Note is {len(text)} characters long: shorten it to at most {NOTE_MAX_CHARS}."
        raise ValidationError(message, {"note": message})
    return text or None


def _date_error(message: str) -> ValidationError:
    return ValidationError(message, {"next_action_on": message})


def _next_action_date(outcome: CallOutcome, next_action_on: date | None, today: date) -> date:
    if next_action_on is None and outcome in OUTCOMES_NEEDING_DATE:
        raise _date_error(f"A next action date is required for {outcome.label}: {DATE_HINTS[outcome]}.")
    if next_action_on is None:
        return today + timedelta(days=1)
    if next_action_on < today:
        raise _date_error(f"Next action date {next_action_on.isoformat()} is in the past: pick {today} or later.")
    latest = today + timedelta(days=NEXT_ACTION_MAX_DAYS)
    if next_action_on > latest:
        raise _date_error(
            f"Next action date {next_action_on.isoformat()} is more than {NEXT_ACTION_MAX_DAYS} days ahead: "
            f"pick {latest.isoformat()} or earlier."
        )
    return next_action_on


async def require_claim_free_or_own(session: AsyncSession, case: Case, user_id: int, now: datetime | None) -> None:
    """Raise ConflictError when a user other than ``user_id`` holds an unexpired claim on ``case``."""
    holder = await find_claim_holder(session, case, now=now)
    if holder is not None and holder.user_id != user_id:
        raise ConflictError(holder.conflict_message(case.id))


@dataclass(frozen=True)
class CaseWork:
    """A case locked for a change by one user, with its client and the client's today."""

    case: Case
    client: Client
    today: date


async def begin_case_work(
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    user_id: int,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> CaseWork:
    """Load the case in scope for update; raise ConflictError when another user has an unexpired claim on it.

    ``today`` defaults to today in the client's time zone and ``now`` to the current time.
    """
    case = await get_case_in_scope(session, scope, case_id, for_update=True)
    await require_claim_free_or_own(session, case, user_id, now)
    client = await session.get_one(Client, case.client_id)
    return CaseWork(case, client, today or client_today(client))


def add_interaction(
    session: AsyncSession,
    case: Case,
    user_id: int | None,
    *,
    channel: Channel,
    outcome: CallOutcome | None,
    note: str | None,
    next_action_on: date,
    direction: Direction = Direction.OUTBOUND,
) -> Interaction:
    """Add an interaction on ``case`` and schedule the case's next action; the caller flushes and commits.

    The interaction ends this piece of work: the claim on the case is released,
    and a broken promise counts as followed up.
    """
    interaction = Interaction(
        client_id=case.client_id,
        case_id=case.id,
        user_id=user_id,
        channel=channel,
        direction=direction,
        outcome=outcome,
        note=note,
        next_action_on=next_action_on,
    )
    session.add(interaction)
    case.next_action_on = next_action_on
    case.next_action_at = None
    case.broken_promise_on = None
    case.claimed_by_id = None
    case.claimed_until = None
    return interaction


async def log_call_outcome(
    session: AsyncSession,
    scope: Scope,
    case_id: int,
    user_id: int,
    *,
    outcome: str,
    note: str | None,
    next_action_on: date | None,
    today: date | None = None,
    now: datetime | None = None,
) -> Interaction:
    """Record an outbound call's outcome, schedule the case's next action, release its claim and commit.

    ``today`` defaults to today in the client's time zone. Without a date the
    next action is tomorrow, except for promise_to_pay and call_back_requested,
    which require one; a date more than NEXT_ACTION_MAX_DAYS ahead is rejected.
    The case leaves the call queue until that day. Raises ConflictError when
    another user has an unexpired claim on the case (at ``now``, default the
    current time), so that claim stays in place.
    """
    call_outcome = _parse_outcome(outcome)
    note_text = clean_note(note)
    work = await begin_case_work(session, scope, case_id, user_id, today=today, now=now)
    action_on = _next_action_date(call_outcome, next_action_on, work.today)

    interaction = add_interaction(
        session,
        work.case,
        user_id,
        channel=Channel.CALL,
        outcome=call_outcome,
        note=note_text,
        next_action_on=action_on,
    )
    if call_outcome == CallOutcome.PROMISE_TO_PAY:
        work.case.promise_due_on = action_on
    await refresh_case_priority(session, work.case, today=work.today)
    await session.commit()
    return interaction
