from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One audited action: who did what to which record, with ids only.

    The app only inserts rows. ``user_id`` and ``client_id`` carry no
    foreign keys, so deleting a user or a client leaves its events as they
    were. A trigger rejects UPDATE and, on PostgreSQL, DELETE.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_client_at", "client_id", "at"),
        Index("ix_audit_event_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None for the scheduled jobs.
    user_id: Mapped[int | None] = mapped_column(Integer(), index=True)
    client_id: Mapped[int | None] = mapped_column(Integer())
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer())
    # Ids, counts and short codes only: never names, contact data or amounts.
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON())
