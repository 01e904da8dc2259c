"""Changing a signed-in user's own password."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import User
from hub.accounts.services import hash_password, verify_password
from hub.db import utcnow
from hub.errors import ValidationError

NEW_PASSWORD_MIN_LENGTH = 12


def _new_password_errors(current: str, new: str, confirmation: str) -> dict[str, str]:
    if len(new) < NEW_PASSWORD_MIN_LENGTH:
        return {"new_password": f"the new password is too short: use at least {NEW_PASSWORD_MIN_LENGTH} characters"}
    if new == current:
        return {"new_password": "the new password is the same as the current one: choose a different one"}
    if new != confirmation:
        return {"confirm_password": "the two new passwords differ: type the same new password twice"}
    return {}


async def change_password(session: AsyncSession, user: User, current: str, new: str, confirmation: str) -> User:
    """Replace ``user``'s password after checking the current one; sessions signed in earlier stop working.

    The new hash always uses the hasher's current argon2 parameters.
    """
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = "the current password is wrong: type the password you signed in with"
    errors.update(_new_password_errors(current, new, confirmation))
    if errors:
        raise ValidationError("password not changed: correct the fields marked below", errors)

    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    await session.flush()
    return user
