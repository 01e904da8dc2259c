"""The case numbers panel: promise kept rate, open disputes with their age, and cash received lately."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case
from hub.cases.priority import client_today
from hub.clients.models import Client
from hub.clients.services import reference_date
from hub.disputes.models import OPEN_DISPUTE_STATUSES, Dispute
from hub.disputes.sla import working_days_between
from hub.payments.services import cash_received
from hub.promises.evaluation import kept_rate

# Cash received counts this many days, the client's reference day included.
CASH_WINDOW_DAYS = 30


@dataclass(frozen=True)
class CaseNumbers:
    """Headline numbers of one case, in minor units of ``currency``.

    ``kept_minor`` of ``due_minor`` is the promised money paid on time out of
    the promised money whose date plus grace has passed. ``oldest_dispute_days``
    is the age of the oldest open dispute in working days (Monday to Friday),
    or None without open disputes. Cash counts payments from ``cash_from`` to
    ``cash_to`` inclusive.
    """

    currency: str
    kept_minor: int
    due_minor: int
    open_disputes: int
    oldest_dispute_days: int | None
    cash_minor: int
    cash_from: date
    cash_to: date

    @property
    def cash_days(self) -> int:
        return (self.cash_to - self.cash_from).days + 1

    @property
    def kept_percent(self) -> int | None:
        """Kept share of the due money, rounded to a whole percent, or None while nothing is due."""
        if self.due_minor <= 0:
            return None
        return round(100 * self.kept_minor / self.due_minor)


async def _open_disputes(session: AsyncSession, case: Case, client: Client) -> tuple[int, int | None]:
    query = select(Dispute.opened_at).where(
        Dispute.client_id == case.client_id,
        Dispute.debtor_id == case.debtor_id,
        Dispute.status.in_(OPEN_DISPUTE_STATUSES),
    )
    opened = list((await session.scalars(query)).all())
    if not opened:
        return 0, None
    zone = ZoneInfo(client.timezone)
    oldest_day = min(opened).astimezone(zone).date()
    # Counted against the real day, as dispute SLAs are, not the portfolio's as-of date.
    age = max(working_days_between(oldest_day, client_today(client)), 0)
    return len(opened), age


async def case_numbers(session: AsyncSession, case: Case, client: Client) -> CaseNumbers:
    """Compute the numbers panel of ``case``. Cash counts the CASH_WINDOW_DAYS up to the client's reference day."""
    kept, due = await kept_rate(session, client, case.id)
    count, oldest = await _open_disputes(session, case, client)
    cash_to = reference_date(client)
    cash_from = cash_to - timedelta(days=CASH_WINDOW_DAYS - 1)
    cash = await cash_received(session, client.id, case.debtor_id, cash_from, cash_to)
    return CaseNumbers(case.currency, kept, due, count, oldest, cash, cash_from, cash_to)
