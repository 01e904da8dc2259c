from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin, StrEnumColumn, UTCDateTime


class PromiseStatus(enum.StrEnum):
    OPEN = "open"
    KEPT = "kept"
    PARTLY_KEPT = "partly_kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return PROMISE_STATUS_LABELS[self]


PROMISE_STATUS_LABELS = {
    PromiseStatus.OPEN: "Open",
    PromiseStatus.KEPT: "Kept",
    PromiseStatus.PARTLY_KEPT: "Partly kept",
    PromiseStatus.BROKEN: "Broken",
    PromiseStatus.CANCELLED: "Cancelled",
}


class Frequency(enum.StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class Promise(CreatedAtMixin, Base):
    """A promise to pay ``amount_minor`` in one or more instalments, made in an interaction.

    ``made_on`` is the client-local day the promise was recorded; payments
    from that day on count toward it. The status and the paid amounts are
    derived from payments by hub.promises.evaluation, never set by hand,
    except CANCELLED.
    """

    __tablename__ = "promise"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interaction.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger())
    # None for a single payment; the spacing of the instalments of a plan.
    frequency: Mapped[Frequency | None] = mapped_column(StrEnumColumn(Frequency, 16))
    made_on: Mapped[date] = mapped_column(Date())
    status: Mapped[PromiseStatus] = mapped_column(StrEnumColumn(PromiseStatus, 16), default=PromiseStatus.OPEN)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Paid toward the promise in all, and by each instalment's date plus grace.
    paid_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    paid_on_time_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    # Sum of the instalments whose date plus grace has passed.
    due_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    note: Mapped[str | None] = mapped_column(Text())


class PromiseInstalment(Base):
    """One dated amount of a promise; a single promise has one instalment."""

    __tablename__ = "promise_instalment"
    __table_args__ = (UniqueConstraint("promise_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    promise_id: Mapped[int] = mapped_column(ForeignKey("promise.id", ondelete="CASCADE"))
    sequence: Mapped[int] = mapped_column(Integer())
    due_on: Mapped[date] = mapped_column(Date(), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger())
    paid_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    paid_on_time_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    status: Mapped[PromiseStatus] = mapped_column(StrEnumColumn(PromiseStatus, 16), default=PromiseStatus.OPEN)


class PromiseInvoice(Base):
    """An invoice a promise covers."""

    __tablename__ = "promise_invoice"

    promise_id: Mapped[int] = mapped_column(ForeignKey("promise.id", ondelete="CASCADE"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), primary_key=True, index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
