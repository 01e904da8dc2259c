from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin, StrEnumColumn, UTCDateTime


class PaymentCheckStatus(enum.StrEnum):
    OPEN = "open"
    # A payment from the debtor arrived on or after claimed_paid_on (or the check's opening day).
    FOUND = "found"
    # CHECK_DAYS passed without such a payment.
    NOT_FOUND = "not_found"


class PaymentCheck(CreatedAtMixin, Base):
    """A debtor's statement that they already paid, waiting for the payment to show up."""

    __tablename__ = "payment_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interaction.id", ondelete="SET NULL"))
    status: Mapped[PaymentCheckStatus] = mapped_column(
        StrEnumColumn(PaymentCheckStatus, 16), default=PaymentCheckStatus.OPEN
    )
    # The debtor's claim: the day and amount paid, and any bank reference.
    claimed_paid_on: Mapped[date | None] = mapped_column(Date())
    claimed_amount_minor: Mapped[int | None] = mapped_column(BigInteger())
    claimed_reference: Mapped[str | None] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date())
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
