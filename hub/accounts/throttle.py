"""Sign-in throttling: a lock per account email and a failure cap per client address.

Counters live in the ``login_throttle`` table, so every app process reads the
same state. The account counter is keyed by the email as typed (normalised),
not by user id, so an unknown email is counted and locked exactly like a
known one and the responses never reveal whether an account exists.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import LoginThrottle
from hub.accounts.services import normalise_email
from hub.db import UTCDateTime

ACCOUNT_FAILURE_LIMIT = 10
ACCOUNT_LOCK_SECONDS = 15 * 60
ADDRESS_FAILURE_LIMIT = 50
ADDRESS_WINDOW_SECONDS = 15 * 60


class ThrottleKind(enum.StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class ThrottleState:
    """Throttle decision for one sign-in attempt: ``retry_at`` is set when the form must wait."""

    kind: ThrottleKind | None = None
    retry_at: datetime | None = None

    def retry_after_seconds(self, now: datetime) -> int:
        if self.retry_at is None:
            return 0
        return max(1, int((self.retry_at - now).total_seconds() + 0.999))


def hash_key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def account_key(email: str) -> str:
    return hash_key(normalise_email(email))


async def _load(session: AsyncSession, kind: ThrottleKind, key: str) -> LoginThrottle | None:
    query = select(LoginThrottle).where(LoginThrottle.kind == kind.value, LoginThrottle.key_hash == key)
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one_or_none()


async def check_sign_in_allowed(session: AsyncSession, email: str, address: str, now: datetime) -> ThrottleState:
    """Return a state with ``retry_at`` set when the address or the account is throttled at ``now``."""
    address_row = await _load(session, ThrottleKind.ADDRESS, hash_key(address))
    if address_row is not None and address_row.failure_count >= ADDRESS_FAILURE_LIMIT:
        window_end = address_row.window_started_at + timedelta(seconds=ADDRESS_WINDOW_SECONDS)
        if window_end > now:
            return ThrottleState(ThrottleKind.ADDRESS, window_end)

    account_row = await _load(session, ThrottleKind.ACCOUNT, account_key(email))
    if account_row is not None and account_row.locked_until is not None and account_row.locked_until > now:
        return ThrottleState(ThrottleKind.ACCOUNT, account_row.locked_until)
    return ThrottleState()


def _upsert(session: AsyncSession) -> Any:
    """Return the dialect's INSERT with ON CONFLICT support."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(LoginThrottle)
    return sqlite_insert(LoginThrottle)


def _increment(window_seconds: int | None, now: datetime) -> dict[str, Any]:
    """Return the SET clause adding one failure; a window of None never restarts the count."""
    table = LoginThrottle.__table__
    if window_seconds is None:
        return {"failure_count": table.c.failure_count + 1}
    window_over = table.c.window_started_at <= now - timedelta(seconds=window_seconds)
    return {
        "failure_count": case((window_over, 1), else_=table.c.failure_count + 1),
        "window_started_at": case((window_over, literal(now, UTCDateTime())), else_=table.c.window_started_at),
    }


async def _count_failure(
    session: AsyncSession, kind: ThrottleKind, key: str, now: datetime, window_seconds: int | None
) -> None:
    """Add one failure in a single statement, so concurrent failures in other processes are never lost."""
    table = LoginThrottle.__table__
    statement = _upsert(session).values(kind=kind.value, key_hash=key, failure_count=1, window_started_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.key_hash], set_=_increment(window_seconds, now)
    )
    await session.execute(statement)


async def _lock_account_if_over_limit(session: AsyncSession, key: str, now: datetime) -> datetime | None:
    """Lock the account once it reaches the limit and restart its count; return the lock end, if any."""
    locked_until = now + timedelta(seconds=ACCOUNT_LOCK_SECONDS)
    await session.execute(
        update(LoginThrottle)
        .where(
            LoginThrottle.kind == ThrottleKind.ACCOUNT.value,
            LoginThrottle.key_hash == key,
            LoginThrottle.failure_count >= ACCOUNT_FAILURE_LIMIT,
        )
        .values(failure_count=0, locked_until=locked_until)
    )
    row = await _load(session, ThrottleKind.ACCOUNT, key)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


async def record_failed_sign_in(session: AsyncSession, email: str, address: str, now: datetime) -> ThrottleState:
    """Count a failed sign-in for the account and the address; return the account lock it caused, if any."""
    key = account_key(email)
    # An account counts failures in a row: only a successful sign-in or a lock restarts the count.
    await _count_failure(session, ThrottleKind.ACCOUNT, key, now, window_seconds=None)
    await _count_failure(session, ThrottleKind.ADDRESS, hash_key(address), now, ADDRESS_WINDOW_SECONDS)

    locked_until = await _lock_account_if_over_limit(session, key, now)
    if locked_until is None:
        return ThrottleState()
    return ThrottleState(ThrottleKind.ACCOUNT, locked_until)


async def reset_account_failures(session: AsyncSession, email: str) -> None:
    """Clear the account's failure count after a successful sign-in; the address count stays."""
    await session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.kind == ThrottleKind.ACCOUNT.value, LoginThrottle.key_hash == account_key(email))
        .values(failure_count=0, locked_until=None)
    )
