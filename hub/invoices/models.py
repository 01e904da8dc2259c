from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin


class Invoice(CreatedAtMixin, Base):
    """A receivable. Money is integer minor units of ``currency``."""

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("client_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger())
    open_minor: Mapped[int] = mapped_column(BigInteger())
    issue_date: Mapped[date | None] = mapped_column(Date())
    due_date: Mapped[date] = mapped_column(Date())
    settled_date: Mapped[date | None] = mapped_column(Date())
    # True for electronic billing, False for paper, None when the export has no billing channel.
    paperless: Mapped[bool | None] = mapped_column(Boolean())


class Payment(CreatedAtMixin, Base):
    """Money received against an invoice; ``reference`` is unique per client."""

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("client_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger())
    paid_on: Mapped[date] = mapped_column(Date())
