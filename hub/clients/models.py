from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin

# Queue priority weights used unless a client sets its own; see hub.cases.priority.
DEFAULT_WEIGHT_RISK = 0.5
DEFAULT_WEIGHT_EXPOSURE = 0.3
DEFAULT_WEIGHT_URGENCY = 0.2
# Days after a promised date that a payment still counts as on time.
DEFAULT_PROMISE_GRACE_DAYS = 3
# Working days (Monday to Friday) a dispute may stay unresolved.
DEFAULT_DISPUTE_SLA_DAYS = 10


class Client(CreatedAtMixin, Base):
    """A creditor company whose receivables are followed up."""

    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="en")
    # The day the imported portfolio describes. Aging and urgency count days
    # from it; None means today.
    as_of_date: Mapped[date | None] = mapped_column(Date())
    weight_risk: Mapped[float] = mapped_column(Float(), default=DEFAULT_WEIGHT_RISK)
    weight_exposure: Mapped[float] = mapped_column(Float(), default=DEFAULT_WEIGHT_EXPOSURE)
    weight_urgency: Mapped[float] = mapped_column(Float(), default=DEFAULT_WEIGHT_URGENCY)
    promise_grace_days: Mapped[int] = mapped_column(Integer(), default=DEFAULT_PROMISE_GRACE_DAYS)
    dispute_sla_days: Mapped[int] = mapped_column(Integer(), default=DEFAULT_DISPUTE_SLA_DAYS)
