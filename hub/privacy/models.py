from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, false
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, StrEnumColumn, UTCDateTime, utcnow

DEFAULT_SETTLED_CASE_YEARS = 7
DEFAULT_UNMATCHED_INBOUND_DAYS = 90


class ErasureReason(enum.StrEnum):
    REQUEST = "request"
    RETENTION = "retention"


class RetentionPolicy(Base):
    """A client's retention periods; a client without a row has the defaults, disabled."""

    __tablename__ = "retention_policy"

    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())
    # Settled debtors are anonymised this many years after their last payment.
    settled_case_years: Mapped[int] = mapped_column(Integer(), default=DEFAULT_SETTLED_CASE_YEARS)
    # Inbound messages matched to no debtor are deleted after this many days.
    unmatched_inbound_days: Mapped[int] = mapped_column(Integer(), default=DEFAULT_UNMATCHED_INBOUND_DAYS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Erasure(Base):
    """The record that a debtor's personal data was erased: when, which user and why."""

    __tablename__ = "erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), unique=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[ErasureReason] = mapped_column(StrEnumColumn(ErasureReason, 16))
