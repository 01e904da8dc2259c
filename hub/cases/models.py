from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin, StrEnumColumn, UTCDateTime


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Segment(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Case(CreatedAtMixin, Base):
    """One debtor at one client, with its open balance, risk and next action.

    ``open_minor`` and ``priority`` are derived from invoices, disputes and the
    risk score; hub.cases.priority refreshes them.
    """

    __tablename__ = "case_file"
    __table_args__ = (
        UniqueConstraint("client_id", "debtor_id"),
        Index("ix_case_file_queue", "client_id", "status", "priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"))
    status: Mapped[CaseStatus] = mapped_column(StrEnumColumn(CaseStatus, 16), default=CaseStatus.OPEN)
    currency: Mapped[str] = mapped_column(String(3))
    open_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    oldest_due_date: Mapped[date | None] = mapped_column(Date())
    risk_score: Mapped[int | None] = mapped_column(Integer())
    risk_factors: Mapped[list[str]] = mapped_column(JSON(), default=list)
    # "model" when fitted on the client's history, "default" for documented default weights.
    score_source: Mapped[str | None] = mapped_column(String(16))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    segment: Mapped[Segment | None] = mapped_column(StrEnumColumn(Segment, 8))
    priority: Mapped[float] = mapped_column(Float(), default=0.0)
    promise_due_on: Mapped[date | None] = mapped_column(Date())
    next_action_on: Mapped[date | None] = mapped_column(Date())
    # A call-back agreed for a time of day: the case is due from this instant, on next_action_on.
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a promise on the case is found broken; urgency stays raised until an agent logs an outcome.
    broken_promise_on: Mapped[date | None] = mapped_column(Date())
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
