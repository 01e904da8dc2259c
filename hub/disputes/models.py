from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin, StrEnumColumn, UTCDateTime


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    RESOLVED_DEBTOR = "resolved_debtor"
    RESOLVED_CREDITOR = "resolved_creditor"

    @property
    def label(self) -> str:
        return DISPUTE_STATUS_LABELS[self]


DISPUTE_STATUS_LABELS = {
    DisputeStatus.OPEN: "Open",
    DisputeStatus.UNDER_REVIEW: "Under review",
    DisputeStatus.RESOLVED_DEBTOR: "Resolved for the debtor",
    DisputeStatus.RESOLVED_CREDITOR: "Resolved for the creditor",
}

OPEN_DISPUTE_STATUSES = (DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW)


class DisputeReason(enum.StrEnum):
    NOT_RECEIVED = "not_received"
    WRONG_AMOUNT = "wrong_amount"
    QUALITY = "quality"
    ALREADY_PAID = "already_paid"
    NOT_ORDERED = "not_ordered"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DISPUTE_REASON_LABELS[self]


DISPUTE_REASON_LABELS = {
    DisputeReason.NOT_RECEIVED: "Not received",
    DisputeReason.WRONG_AMOUNT: "Wrong amount",
    DisputeReason.QUALITY: "Quality",
    DisputeReason.ALREADY_PAID: "Already paid",
    DisputeReason.NOT_ORDERED: "Not ordered",
    DisputeReason.OTHER: "Other",
}


class Dispute(CreatedAtMixin, Base):
    """A debtor's objection to one or more invoices (linked through dispute_invoice).

    ``reference`` is the client's own key of a dispute imported from another
    system, unique per client. ``sla_due_on`` is the day the dispute should
    be resolved by: ``opened_at`` plus the client's dispute_sla_days working
    days. ``credited_minor`` is what a resolution for the debtor credited.
    """

    __tablename__ = "dispute"
    __table_args__ = (UniqueConstraint("client_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str | None] = mapped_column(String(64))
    # The interaction the dispute was raised in, when an agent recorded it.
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interaction.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    reason_code: Mapped[str] = mapped_column(String(32), default=DisputeReason.OTHER.value)
    status: Mapped[DisputeStatus] = mapped_column(
        StrEnumColumn(DisputeStatus, 24),
        default=DisputeStatus.OPEN,
    )
    note: Mapped[str | None] = mapped_column(Text())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sla_due_on: Mapped[date | None] = mapped_column(Date())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    resolution_note: Mapped[str | None] = mapped_column(Text())
    credited_minor: Mapped[int] = mapped_column(BigInteger(), default=0)


class DisputeInvoice(Base):
    """An invoice a dispute covers. An invoice has at most one open dispute (checked by the services)."""

    __tablename__ = "dispute_invoice"

    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id", ondelete="CASCADE"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), primary_key=True, index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
