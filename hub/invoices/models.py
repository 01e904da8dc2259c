from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin, StrEnumColumn


class Invoice(CreatedAtMixin, Base):
    """A receivable. Money is integer minor units of ``currency``.

    ``open_minor`` is 0 once ``settled_date`` is set (the export marks the
    invoice settled) and otherwise ``amount_minor - paid_minor -
    credited_minor``: what payment allocations and dispute credits leave.
    """

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("client_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger())
    open_minor: Mapped[int] = mapped_column(BigInteger())
    # Sum of the payment allocations to this invoice.
    paid_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    # Credited when a dispute on this invoice is resolved in the debtor's favour.
    credited_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    issue_date: Mapped[date | None] = mapped_column(Date())
    due_date: Mapped[date] = mapped_column(Date())
    settled_date: Mapped[date | None] = mapped_column(Date())
    # True for electronic billing, False for paper, None when the export has no billing channel.
    paperless: Mapped[bool | None] = mapped_column(Boolean())

    def remaining_minor(self) -> int:
        """Return what allocations and credits leave of the amount, whatever the settled date."""
        return self.amount_minor - self.paid_minor - self.credited_minor

    def recompute_open(self) -> None:
        self.open_minor = 0 if self.settled_date is not None else self.remaining_minor()


class PaymentSource(enum.StrEnum):
    # Implied by the settled date of an imported invoice row; never allocated.
    SETTLEMENT = "settlement"
    IMPORT = "import"
    API = "api"


class Payment(CreatedAtMixin, Base):
    """Money received from a debtor; ``reference`` is unique per client.

    ``invoice_reference`` is the invoice number the payer quoted, kept as
    given; ``invoice_id`` is that invoice once found (for a settlement
    payment, the invoice it settles). ``unallocated_minor`` is what no
    open invoice took, with the reason in ``unallocated_reason``. A payment
    whose debtor is unknown has no ``debtor_id`` and stays unallocated.
    """

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("client_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    debtor_id: Mapped[int | None] = mapped_column(ForeignKey("debtor.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger())
    paid_on: Mapped[date] = mapped_column(Date())
    source: Mapped[PaymentSource] = mapped_column(StrEnumColumn(PaymentSource, 16), default=PaymentSource.SETTLEMENT)
    invoice_reference: Mapped[str | None] = mapped_column(String(64))
    unallocated_minor: Mapped[int] = mapped_column(BigInteger(), default=0)
    unallocated_reason: Mapped[str | None] = mapped_column(String(300))


class PaymentAllocation(Base):
    """The part of a payment applied to one invoice."""

    __tablename__ = "payment_allocation"
    __table_args__ = (UniqueConstraint("payment_id", "invoice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger())
