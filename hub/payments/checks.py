"""Payment checks: a debtor says they already paid, and the hub waits for that payment to arrive."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Case
from hub.interactions.models import Interaction
from hub.payments.models import PaymentCheck


async def open_payment_check(
    session: AsyncSession,
    case: Case,
    interaction: Interaction,
    *,
    claimed_paid_on: date | None,
    claimed_amount_minor: int | None,
    claimed_reference: str | None,
    today: date,
) -> PaymentCheck:
    """Open a check on ``case`` and keep the case out of the call queue until the check's due day; flush only."""
    raise NotImplementedError
