"""Users: password hashing, sign-in checks, account creation and the clients a user may see."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.scope import Scope
from hub.clients.models import Client
from hub.clients.services import get_client_by_slug
from hub.errors import ConflictError, ValidationError

PASSWORD_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
GENERATED_PASSWORD_BYTES = 12
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Verified against when the email is unknown, so a failed sign-in takes
# the same time whether or not the account exists.
_UNKNOWN_USER_HASH = PASSWORD_HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return PASSWORD_HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    """Return the user whose email and password match, or None; upgrades outdated hashes in place."""
    user = await session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        verify_password(_UNKNOWN_USER_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None

    if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


def _validate_user_fields(email: str, role: str, password: str) -> None:
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(f"invalid email {email!r}: use an address such as agent@example.com")
    if role not in {member.value for member in Role}:
        raise ValidationError(f"unknown role {role!r}: use agent, supervisor or admin")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")


async def add_user(
    session: AsyncSession,
    email: str,
    role: str,
    password: str,
    *,
    client_slugs: tuple[str, ...] = (),
    name: str | None = None,
) -> User:
    """Create a user with a hashed password, assigned to the clients named by ``client_slugs``."""
    email = normalise_email(email)
    _validate_user_fields(email, role, password)
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ConflictError(f"user {email!r} already exists")
    clients = [await get_client_by_slug(session, slug) for slug in client_slugs]

    user = User(
        email=email,
        display_name=name or email.split("@", 1)[0],
        password_hash=hash_password(password),
        role=Role(role),
        clients=clients,
    )
    session.add(user)
    await session.flush()
    return user


async def scope_for_user(session: AsyncSession, user: User) -> Scope:
    """Return the clients ``user`` may work on; an admin with no assigned client sees every client."""
    client_ids = frozenset(client.id for client in user.clients)
    if not client_ids and user.role == Role.ADMIN:
        client_ids = frozenset((await session.scalars(select(Client.id))).all())
    return Scope(client_ids=client_ids, user_id=user.id)


async def count_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count(User.id))) or 0
