from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.clients.models import Client
from hub.db import Base, CreatedAtMixin, StrEnumColumn, UTCDateTime


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


user_client = Table(
    "user_client",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("client.id", ondelete="CASCADE"), primary_key=True),
)


class User(CreatedAtMixin, Base):
    """A person who signs in: an agent, a supervisor or an admin."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        StrEnumColumn(Role, 16),
        default=Role.AGENT,
    )
    # A deactivated user cannot sign in, and its open sessions stop working.
    is_active: Mapped[bool] = mapped_column(Boolean(), default=True, server_default=true())
    clients: Mapped[list[Client]] = relationship(secondary=user_client, lazy="selectin")
    # Sessions signed in before this moment stop working, so a password change signs out other browsers.
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class LoginThrottle(Base):
    """Failed sign-in counter for one account email or one client address, shared by every app process.

    ``key_hash`` is the SHA-256 of the normalised email or the address, so no email typed at the
    sign-in form is stored in clear, whether or not an account has it.
    """

    __tablename__ = "login_throttle"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failure_count: Mapped[int] = mapped_column(Integer(), default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RevokedSession(Base):
    """A signed-out session id; its cookie stays unusable until the session would have expired anyway."""

    __tablename__ = "revoked_session"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
