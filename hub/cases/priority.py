"""Queue priority of a case: a 0-100 score from risk, exposure and urgency.

    priority = 100 * (w_risk * risk + w_exposure * exposure + w_urgency * urgency)
                   / (w_risk + w_exposure + w_urgency)

- risk = risk_score / 100; a case not yet scored counts as UNSCORED_RISK (0.5).
- exposure = 1 + log10(open_minor / largest open_minor of the client) / EXPOSURE_SPAN_DECADES,
  clamped to 0..1. The client's largest open case gets 1, a case 10,000 times
  smaller (EXPOSURE_SPAN_DECADES = 4) or with nothing open gets 0.
- urgency = days past due of the oldest open item / URGENCY_SATURATION_DAYS (90),
  clamped to 0..1, counted from the client's reference date (portfolio as-of
  date, else today). A promise to pay that falls due within PROMISE_WINDOW_DAYS
  (2) of today, or is already past due, sets urgency to 1. Promise dates are
  real calendar dates, so they compare with today in the client's time zone.
  A broken promise (case.broken_promise_on set) also sets urgency to 1 until
  an agent logs the next contact.

Weights are the client's weight_risk, weight_exposure and weight_urgency
(defaults 0.5, 0.3, 0.2 in hub.clients.models). Negative weights count as 0,
and all-zero weights fall back to the defaults. A closed case gets priority 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case, CaseStatus
from hub.clients.models import DEFAULT_WEIGHT_EXPOSURE, DEFAULT_WEIGHT_RISK, DEFAULT_WEIGHT_URGENCY, Client
from hub.clients.services import reference_date

UNSCORED_RISK = 0.5
EXPOSURE_SPAN_DECADES = 4.0
URGENCY_SATURATION_DAYS = 90
PROMISE_WINDOW_DAYS = 2
MAX_PRIORITY = 100.0


@dataclass(frozen=True)
class PriorityWeights:
    risk: float
    exposure: float
    urgency: float

    @classmethod
    def for_client(cls, client: Client) -> PriorityWeights:
        """Return the client's weights scaled to sum 1 (defaults when none is positive)."""
        raw = [max(w or 0.0, 0.0) for w in (client.weight_risk, client.weight_exposure, client.weight_urgency)]
        if sum(raw) <= 0:
            raw = [DEFAULT_WEIGHT_RISK, DEFAULT_WEIGHT_EXPOSURE, DEFAULT_WEIGHT_URGENCY]
        total = sum(raw)
        return cls(raw[0] / total, raw[1] / total, raw[2] / total)


@dataclass(frozen=True)
class PriorityContext:
    """Reference values shared by every case of one client: weights, largest open balance and dates."""

    weights: PriorityWeights
    largest_open_minor: int
    reference_date: date
    today: date


def risk_component(risk_score: int | None) -> float:
    if risk_score is None:
        return UNSCORED_RISK
    return min(max(risk_score / 100, 0.0), 1.0)


def exposure_component(open_minor: int, largest_open_minor: int) -> float:
    if open_minor <= 0 or largest_open_minor <= 0:
        return 0.0
    ratio = min(open_minor / largest_open_minor, 1.0)
    return max(1.0 + math.log10(ratio) / EXPOSURE_SPAN_DECADES, 0.0)


def urgency_component(
    oldest_due_date: date | None,
    promise_due_on: date | None,
    context: PriorityContext,
    broken_promise_on: date | None = None,
) -> float:
    if broken_promise_on is not None:
        return 1.0
    if promise_due_on is not None and (promise_due_on - context.today).days <= PROMISE_WINDOW_DAYS:
        return 1.0
    if oldest_due_date is None:
        return 0.0
    days_past_due = (context.reference_date - oldest_due_date).days
    return min(max(days_past_due, 0) / URGENCY_SATURATION_DAYS, 1.0)


def case_priority(case: Case, context: PriorityContext) -> float:
    """Return the 0-100 priority of ``case`` following the formula in this module's docstring."""
    if case.status != CaseStatus.OPEN:
        return 0.0

    weights = context.weights
    urgency = urgency_component(case.oldest_due_date, case.promise_due_on, context, case.broken_promise_on)
    score = (
        weights.risk * risk_component(case.risk_score)
        + weights.exposure * exposure_component(case.open_minor, context.largest_open_minor)
        + weights.urgency * urgency
    )
    return MAX_PRIORITY * score


def client_today(client: Client, now: datetime | None = None) -> date:
    """Return the calendar date in the client's time zone at ``now`` (default: the current time)."""
    zone = ZoneInfo(client.timezone)
    return now.astimezone(zone).date() if now is not None else datetime.now(zone).date()


async def priority_context(session: AsyncSession, client: Client, today: date | None = None) -> PriorityContext:
    largest = await session.scalar(
        select(func.max(Case.open_minor)).where(Case.client_id == client.id, Case.status == CaseStatus.OPEN)
    )
    return PriorityContext(
        weights=PriorityWeights.for_client(client),
        largest_open_minor=largest or 0,
        reference_date=reference_date(client),
        today=today or client_today(client),
    )


async def refresh_priorities(session: AsyncSession, client: Client, *, today: date | None = None) -> None:
    """Recompute ``priority`` of every case of ``client`` from its current balance, score and dates."""
    await session.flush()
    context = await priority_context(session, client, today)
    cases = (await session.scalars(select(Case).where(Case.client_id == client.id))).all()
    for case in cases:
        case.priority = case_priority(case, context)
    await session.flush()


async def refresh_case_priority(session: AsyncSession, case: Case, *, today: date | None = None) -> None:
    """Recompute the priority of one case against its client's current largest open case."""
    await session.flush()
    client = await session.get_one(Client, case.client_id)
    case.priority = case_priority(case, await priority_context(session, client, today))
    await session.flush()
