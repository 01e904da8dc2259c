from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin, StrEnumColumn, UTCDateTime


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    RESOLVED_DEBTOR = "resolved_debtor"
    RESOLVED_CREDITOR = "resolved_creditor"


OPEN_DISPUTE_STATUSES = (DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW)


class Dispute(CreatedAtMixin, Base):
    """A debtor's objection to one invoice."""

    __tablename__ = "dispute"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    reason_code: Mapped[str] = mapped_column(String(32), default="other")
    status: Mapped[DisputeStatus] = mapped_column(
        StrEnumColumn(DisputeStatus, 24),
        default=DisputeStatus.OPEN,
    )
    note: Mapped[str | None] = mapped_column(Text())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
