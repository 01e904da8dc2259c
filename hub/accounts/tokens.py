"""Per-user API tokens: creation, listing, revocation and bearer authentication.

A token reads ``hub_<public id>_<secret>``. The public id is stored in
clear so a token can be found and named; the database keeps only the
SHA-256 of the whole token. The secret has 256 bits of entropy, so a fast
hash is enough (no password stretching is needed).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import string
from datetime import UTC, datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from hub.accounts.models import User
from hub.accounts.services import normalise_email
from hub.db import Base, CreatedAtMixin, UTCDateTime
from hub.errors import HubError, NotFoundError, ValidationError

TOKEN_SCHEME = "hub"
PUBLIC_ID_LENGTH = 8
PUBLIC_ID_ALPHABET = string.ascii_lowercase + string.digits
SECRET_BYTES = 32
# token_urlsafe(32) yields 43 characters; shorter secrets are malformed.
MIN_SECRET_LENGTH = 43
NAME_MAX_CHARS = 80
MAX_EXPIRY_DAYS = 3650
# last_used_at is rewritten at most this often, so busy clients do not write on every request.
LAST_USED_PRECISION_SECONDS = 60
INVALID_TOKEN_MESSAGE = "invalid or expired token"
# Compared against when the public id is unknown, so every failed lookup costs one hash comparison.
_UNKNOWN_TOKEN_HASH = hashlib.sha256(b"unknown-token").hexdigest()


class TokenStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class InvalidTokenError(HubError):
    """A bearer token is missing, malformed, unknown, revoked or expired."""

    status_code = 401


class ApiToken(CreatedAtMixin, Base):
    """A user's API token, stored as its SHA-256 hash; ``public_id`` identifies it in lists and logs."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_CHARS))
    public_id: Mapped[str] = mapped_column(String(PUBLIC_ID_LENGTH), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def prefix(self) -> str:
        """The part of the token that is safe to show again: ``hub_<public id>``."""
        return f"{TOKEN_SCHEME}_{self.public_id}"

    def status(self, now: datetime) -> TokenStatus:
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE


def _utc_now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_token() -> tuple[str, str]:
    """Return a new ``(public_id, token)`` pair."""
    public_id = "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))
    return public_id, f"{TOKEN_SCHEME}_{public_id}_{secrets.token_urlsafe(SECRET_BYTES)}"


def parse_public_id(token: str) -> str | None:
    """Return the public id of a well-formed token, or None when ``token`` does not have the token's shape."""
    scheme, _, rest = token.partition("_")
    public_id, _, secret = rest.partition("_")
    if scheme != TOKEN_SCHEME or len(public_id) != PUBLIC_ID_LENGTH:
        return None
    if any(char not in PUBLIC_ID_ALPHABET for char in public_id) or len(secret) < MIN_SECRET_LENGTH:
        return None
    return public_id


def _validate_name(name: str) -> str:
    clean = name.strip()
    if not clean:
        message = "token name is missing: describe where the token is used, for example 'ERP sync'"
        raise ValidationError(message, {"name": message})
    if len(clean) > NAME_MAX_CHARS:
        message = f"token name is {len(clean)} characters long: shorten it to at most {NAME_MAX_CHARS}"
        raise ValidationError(message, {"name": message})
    return clean


def _expiry(expires_in_days: int | None, now: datetime) -> datetime | None:
    if expires_in_days is None:
        return None
    if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        message = f"expiry of {expires_in_days} days is out of range: use 1 to {MAX_EXPIRY_DAYS} days, or none"
        raise ValidationError(message, {"expires_in_days": message})
    return now + timedelta(days=expires_in_days)


async def create_token(
    session: AsyncSession, user: User, name: str, expires_in_days: int | None = None, *, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Insert a token for ``user`` and return it with the full token text, which is never stored or shown again."""
    moment = _utc_now(now)
    clean_name = _validate_name(name)
    expires_at = _expiry(expires_in_days, moment)
    public_id, token = generate_token()

    record = ApiToken(
        user_id=user.id,
        name=clean_name,
        public_id=public_id,
        token_hash=hash_token(token),
        expires_at=expires_at,
        created_at=moment,
    )
    session.add(record)
    await session.flush()
    return record, token


async def list_tokens(session: AsyncSession, user_id: int) -> list[ApiToken]:
    """Return the user's tokens, newest first, revoked and expired ones included."""
    query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    return list((await session.scalars(query)).all())


async def revoke_token(session: AsyncSession, user_id: int, token_id: int, *, now: datetime | None = None) -> ApiToken:
    """Revoke one of the user's tokens; revoking a revoked token changes nothing."""
    record = await session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
    if record is None:
        raise NotFoundError(f"API token {token_id} not found among your tokens")
    record.revoked_at = record.revoked_at or _utc_now(now)
    await session.flush()
    return record


async def revoke_token_by_prefix(session: AsyncSession, prefix: str, *, now: datetime | None = None) -> ApiToken:
    """Revoke the token whose prefix is ``prefix`` (``hub_abcd1234`` or just ``abcd1234``), of any user."""
    public_id = prefix.strip().removeprefix(f"{TOKEN_SCHEME}_")
    record = await session.scalar(select(ApiToken).where(ApiToken.public_id == public_id))
    if record is None:
        message = f"API token {prefix!r} not found: give the prefix shown in the token list, e.g. hub_ab12cd34"
        raise NotFoundError(message)
    record.revoked_at = record.revoked_at or _utc_now(now)
    await session.flush()
    return record


async def find_user_by_email(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFoundError(f"user {email!r} not found: add it first with `hub user add`")
    return user


async def _find_token(session: AsyncSession, token: str) -> ApiToken | None:
    public_id = parse_public_id(token)
    record = None
    if public_id is not None:
        record = await session.scalar(select(ApiToken).where(ApiToken.public_id == public_id))
    expected = record.token_hash if record is not None else _UNKNOWN_TOKEN_HASH
    matches = hmac.compare_digest(expected, hash_token(token))
    return record if matches and record is not None else None


async def authenticate_token(session: AsyncSession, token: str, *, now: datetime | None = None) -> User:
    """Return the active user that owns ``token`` and record the use; raise InvalidTokenError otherwise.

    The error message is the same for every failure, so a caller cannot
    tell an unknown token from a revoked or expired one.
    """
    moment = _utc_now(now)
    record = await _find_token(session, token)
    if record is None or record.status(moment) != TokenStatus.ACTIVE:
        raise InvalidTokenError(INVALID_TOKEN_MESSAGE)
    user = await session.get(User, record.user_id)
    if user is None or not user.is_active:
        raise InvalidTokenError(INVALID_TOKEN_MESSAGE)

    stale_before = moment - timedelta(seconds=LAST_USED_PRECISION_SECONDS)
    if record.last_used_at is None or record.last_used_at < stale_before:
        record.last_used_at = moment
        await session.flush()
    return user
