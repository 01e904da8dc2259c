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
from hub.errors import ConflictError, NotFoundError, ValidationError
from hub.text import find_control_character

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
    user = None
    # PostgreSQL rejects NUL in text parameters, and no stored email contains a control character.
    if find_control_character(email) is None:
        user = await session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        verify_password(_UNKNOWN_USER_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if not user.is_active:
        return None

    if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    """Return the active user with ``user_id``, or None, because a deactivated user counts as signed out."""
    user = await session.get(User, user_id)
    return user if user is not None and user.is_active else None


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


def check_email(email: str) -> str:
    """Return ``email`` normalised, or raise ValidationError naming it."""
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(f"invalid email {email!r}: use an address such as agent@example.com")
    return email


def check_role(role: str) -> Role:
    if role not in {member.value for member in Role}:
        raise ValidationError(f"unknown role {role!r}: use agent, supervisor or admin")
    return Role(role)


def check_password(password: str, min_length: int = MIN_PASSWORD_LENGTH) -> None:
    if len(password) < min_length:
        raise ValidationError(f"password too short ({len(password)} characters): use at least {min_length}")


async def check_email_free(session: AsyncSession, email: str) -> None:
    if await session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None:
        raise ConflictError(f"user {normalise_email(email)!r} already exists: edit that user instead")


async def find_user(session: AsyncSession, user_id: int) -> User:
    """Return the user with ``user_id``, active or not, for account management."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found: pick a user from the list of users")
    return user


async def list_users(session: AsyncSession, *, role: Role | None = None, client_id: int | None = None) -> list[User]:
    """Return users ordered by email, optionally only those with ``role`` or assigned to ``client_id``."""
    query = select(User).order_by(User.email)
    if role is not None:
        query = query.where(User.role == role)
    if client_id is not None:
        query = query.where(User.clients.any(Client.id == client_id))
    return list((await session.scalars(query)).all())


async def count_active_admins(session: AsyncSession) -> int:
    """Count active admins, locking their rows on PostgreSQL so two admins cannot demote each other at once."""
    query = select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True)).with_for_update()
    return len((await session.scalars(query)).all())


async def ensure_admin_remains(session: AsyncSession, user: User, *, role: Role, is_active: bool) -> None:
    """Raise ConflictError when giving ``user`` this role and state would leave no active admin."""
    if not (user.role == Role.ADMIN and user.is_active) or (role == Role.ADMIN and is_active):
        return
    if await count_active_admins(session) <= 1:
        raise ConflictError(f"{user.email} is the last active admin: make another user admin first")


async def change_user_access(session: AsyncSession, user: User, role: str, clients: list[Client]) -> User:
    """Set the role and assigned clients of ``user``, keeping at least one active admin."""
    new_role = check_role(role)
    await ensure_admin_remains(session, user, role=new_role, is_active=user.is_active)

    user.role = new_role
    user.clients = clients
    await session.flush()
    return user


async def set_user_active(session: AsyncSession, user: User, active: bool) -> User:
    """Deactivate or reactivate ``user``. A deactivated user cannot sign in, and its sessions stop working."""
    await ensure_admin_remains(session, user, role=user.role, is_active=active)

    user.is_active = active
    await session.flush()
    return user
