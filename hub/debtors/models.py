from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, CreatedAtMixin, UTCDateTime


class Debtor(CreatedAtMixin, Base):
    """A customer of a client. ``reference`` is the client's own customer key."""

    __tablename__ = "debtor"
    __table_args__ = (UniqueConstraint("client_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(64))
    # Personal data: never logged.
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    country_code: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The number a wrong-party call marked unusable. The phone is usable again
    # once an import stores a different number in ``phone``.
    unusable_phone: Mapped[str | None] = mapped_column(String(32))
    unusable_phone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def phone_usable(self) -> bool:
        return bool(self.phone) and self.phone != self.unusable_phone
