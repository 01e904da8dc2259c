"""Logging outcomes on a case and applying their effects. The case's timeline lives in hub.interactions.timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.scope import Scope
from hub.cases.claims import find_claim_holder, get_case_in_scope
from hub.cases.models import Case
from hub.cases.priority import client_today, refresh_case_priority
from hub.cases.queue_filter import utc_now
from hub.clients.models import Client
from hub.debtors.models import Debtor
from hub.errors import ConflictError, ValidationError
from hub.interactions.callback import call_back_instant, contact_zone_name
from hub.interactions.fields import check_amount_minor, clean_reference, field_error
from hub.interactions.models import CallOutcome, Channel, Direction, Interaction
from hub.interactions.timeline import TimelineEntry, list_timeline
from hub.payments.checks import open_payment_check
from hub.text import require_plain_text

# TimelineEntry and list_timeline stay importable from here for existing callers.
__all__ = [
    "NEXT_ACTION_MAX_DAYS",
    "NOTE_MAX_CHARS",
    "CaseWork",
    "PaidClaim",
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
# Outcomes that fit only some channels. Every other outcome fits every channel.
OUTCOME_CHANNELS = {
    CallOutcome.NO_ANSWER: (Channel.CALL,),
    CallOutcome.VOICEMAIL: (Channel.CALL,),
    # Wrong party marks the debtor's phone unusable, so it needs a contact through that phone.
    CallOutcome.WRONG_PARTY: (Channel.CALL, Channel.SMS),
}


def _parse_channel(channel: str) -> Channel:
    require_plain_text("channel", "Channel", channel)
    try:
        return Channel(channel)
    except ValueError:
        choices = ", ".join(c.value for c in Channel)
        raise field_error("channel", f"Unknown channel {channel!r}: use one of {choices}.") from None


def _parse_outcome(outcome: str, channel: Channel = Channel.CALL) -> CallOutcome | None:
    """Return the outcome code, or None for a note without one (no other channel may leave it empty)."""
    require_plain_text("outcome", "Outcome", outcome)
    if not outcome and channel == Channel.NOTE:
        return None
    if not outcome:
        message = f"Outcome is missing: pick what came of the {channel.value}, because only a note may have none."
        raise ValidationError(message, {"outcome": message})
    try:
        parsed = CallOutcome(outcome)
    except ValueError:
        choices = ", ".join(o.value for o in CallOutcome)
        message = f"Unknown call outcome {outcome!r}: use one of {choices}."
        raise ValidationError(message, {"outcome": message}) from None
    allowed = OUTCOME_CHANNELS.get(parsed)
    if allowed is not None and channel not in allowed:
        names = " or ".join(c.value for c in allowed)
        message = f"{parsed.label} applies only to a contact by {names}, not {channel.value}: pick another outcome."
        raise ValidationError(message, {"outcome": message})
    return parsed


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
    return _check_next_action(next_action_on, today)


def _check_next_action(next_action_on: date, today: date) -> date:
    if next_action_on < today:
        raise _date_error(f"Next action date {next_action_on.isoformat()} is in the past: pick {today} or later.")
    return _check_horizon(next_action_on, today)


def _check_horizon(next_action_on: date, today: date) -> date:
    latest = today + timedelta(days=NEXT_ACTION_MAX_DAYS)
    if next_action_on > latest:
        raise _date_error(
            f"Next action date {next_action_on.isoformat()} is more than {NEXT_ACTION_MAX_DAYS} days ahead: "
            f"pick {latest.isoformat()} or earlier."
        )
    return next_action_on


async def require_claim_free_or_own(session: AsyncSession, case: Case, user_id: int, now: datetime | None) -> None:
    """Raise ConflictError when a user other than ``user_id`` has an unexpired claim on ``case``."""
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


@dataclass(frozen=True)
class PaidClaim:
    """The payment details a debtor gives when stating they already paid. Every part is optional."""

    paid_on: date | None = None
    amount_minor: int | None = None
    reference: str | None = None

    @property
    def given(self) -> bool:
        return self.paid_on is not None or self.amount_minor is not None or bool(self.reference)


def _check_outcome_details(outcome: CallOutcome | None, at: time | None, paid: PaidClaim) -> PaidClaim:
    """Reject details that belong to another outcome, and return the paid claim cleaned."""
    if at is not None and outcome != CallOutcome.CALL_BACK_REQUESTED:
        message = (
            f"A time of day applies only to {CallOutcome.CALL_BACK_REQUESTED.label}: "
            "clear the time or pick that outcome."
        )
        raise field_error("next_action_time", message)
    if paid.given and outcome != CallOutcome.ALREADY_PAID:
        message = (
            f"Paid on, amount and bank reference apply only to {CallOutcome.ALREADY_PAID.label}: "
            "clear them or pick that outcome."
        )
        raise field_error("paid_on", message)
    return PaidClaim(
        paid.paid_on,
        check_amount_minor("paid_amount", "Amount paid", paid.amount_minor),
        clean_reference("paid_reference", "Bank reference", paid.reference),
    )


def _check_paid_on(paid_on: date | None, today: date) -> None:
    if paid_on is not None and paid_on > today:
        message = f"Paid on {paid_on.isoformat()} is after today ({today.isoformat()}): pick the day the debtor paid."
        raise field_error("paid_on", message)


def _mark_phone_unusable(debtor: Debtor, now: datetime) -> None:
    # The first wrong-party date of a number stays: marking it again changes nothing.
    if debtor.phone_usable:
        debtor.unusable_phone = debtor.phone
        debtor.unusable_phone_at = now


async def _add_note(
    session: AsyncSession, work: CaseWork, user_id: int, note: str, next_action_on: date | None
) -> Interaction:
    """Add a note without an outcome. It leaves the claim and, unless a date is given, the schedule alone."""
    interaction = Interaction(
        client_id=work.case.client_id,
        case_id=work.case.id,
        user_id=user_id,
        channel=Channel.NOTE,
        direction=Direction.OUTBOUND,
        outcome=None,
        note=note,
        next_action_on=next_action_on,
    )
    session.add(interaction)
    if next_action_on is not None:
        work.case.next_action_on = next_action_on
        work.case.next_action_at = None
        await refresh_case_priority(session, work.case, today=work.today)
    await session.commit()
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
    channel: str = Channel.CALL.value,
    next_action_time: time | None = None,
    paid: PaidClaim | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Interaction:
    """Record an outbound contact's outcome, apply its effect, schedule the next action and commit.

    ``today`` defaults to today in the client's time zone and ``now`` to the
    current time. Without a date the next action is tomorrow, except for
    promise_to_pay and call_back_requested, which require one; a date more
    than NEXT_ACTION_MAX_DAYS ahead is rejected. The case leaves the call
    queue until that day. Effects by outcome:

    - call_back_requested with ``next_action_time``: the time is read in the
      debtor's time zone, must lie in the calling window and in the future,
      and the case is due from that instant (``case.next_action_at``).
    - wrong_party: the debtor's current phone number is marked unusable.
    - already_paid: a payment check is opened with the debtor's details
      (``paid``), and the case waits until the check's due day unless a
      next action date is given.
    - promise_to_pay: ``case.promise_due_on`` is the given date.

    A note (channel note) may have no outcome; it then needs text and leaves
    the claim and the schedule as they are unless a date is given. Raises
    ConflictError when another user has an unexpired claim on the case, so
    that claim stays in place.
    """
    moment = utc_now(now)
    contact_channel = _parse_channel(channel)
    call_outcome = _parse_outcome(outcome, contact_channel)
    note_text = clean_note(note)
    if call_outcome is None and note_text is None:
        raise field_error("note", "A note without an outcome needs text: type the note, or pick an outcome.")
    claim = _check_outcome_details(call_outcome, next_action_time, paid or PaidClaim())
    work = await begin_case_work(session, scope, case_id, user_id, today=today, now=moment)
    _check_paid_on(claim.paid_on, work.today)

    if call_outcome is None:
        note_on = _check_next_action(next_action_on, work.today) if next_action_on is not None else None
        return await _add_note(session, work, user_id, note_text or "", note_on)

    debtor = await session.get_one(Debtor, work.case.debtor_id)
    action_at = None
    if next_action_time is not None and next_action_on is not None:
        # The date is the debtor's local day, so it is checked as an instant rather than against the client's today.
        zone = contact_zone_name(debtor, work.client)
        action_at = call_back_instant(next_action_on, next_action_time, zone, moment)
        action_on = _check_horizon(next_action_on, work.today)
    else:
        action_on = _next_action_date(call_outcome, next_action_on, work.today)

    interaction = add_interaction(
        session,
        work.case,
        user_id,
        channel=contact_channel,
        outcome=call_outcome,
        note=note_text,
        next_action_on=action_on,
    )
    work.case.next_action_at = action_at
    if call_outcome == CallOutcome.PROMISE_TO_PAY:
        work.case.promise_due_on = action_on
    elif call_outcome == CallOutcome.WRONG_PARTY:
        _mark_phone_unusable(debtor, moment)
    elif call_outcome == CallOutcome.ALREADY_PAID:
        await session.flush()
        await open_payment_check(
            session,
            work.case,
            interaction,
            claimed_paid_on=claim.paid_on,
            claimed_amount_minor=claim.amount_minor,
            claimed_reference=claim.reference,
            today=work.today,
        )
        if next_action_on is None:
            interaction.next_action_on = work.case.next_action_on
        else:
            work.case.next_action_on = action_on
    await refresh_case_priority(session, work.case, today=work.today)
    await session.commit()
    return interaction
