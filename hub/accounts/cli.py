"""``hub user`` commands."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import Role, User
from hub.accounts.services import add_user, generate_password
from hub.cli_support import reports_hub_errors, run_in_session
from hub.errors import ValidationError

MAX_EMAIL_LENGTH: int = User.__table__.c.email.type.length
MAX_NAME_LENGTH: int = User.__table__.c.display_name.type.length


@click.group()
def user() -> None:
    """User accounts."""


@user.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="What the user may do.")
@click.option("--client", "client_slugs", multiple=True, help="Slug of a client the user works on; repeatable.")
@click.option("--name", default=None, help="Display name; defaults to the part of EMAIL before the @.")
@click.option("--password", default=None, help="Initial password; generated and printed once when omitted.")
@reports_hub_errors
def user_add(email: str, role: str, client_slugs: tuple[str, ...], name: str | None, password: str | None) -> None:
    """Add a user who signs in with EMAIL."""
    check_fits("email", email.strip(), MAX_EMAIL_LENGTH)
    if name is not None:
        name = check_fits("name", name.strip(), MAX_NAME_LENGTH)
    # A client named twice is assigned once.
    client_slugs = tuple(dict.fromkeys(client_slugs))
    generated = password is None
    password = password or generate_password()

    async def work(session: AsyncSession) -> User:
        return await add_user(session, email, role, password, client_slugs=client_slugs, name=name)

    created = run_in_session(work)
    clients = ", ".join(client_slugs) or ("all" if created.role == Role.ADMIN else "none")
    click.echo(f"user {created.email} added (role {created.role.value}; clients: {clients})")
    if generated:
        click.echo(f"password: {password}")
        click.echo("This password is shown only once; store it now.")


def check_fits(option: str, value: str, limit: int) -> str:
    """Return ``value`` when it is non-empty, of at most ``limit`` characters and free of control characters."""
    if not value:
        raise ValidationError(f"empty {option}: enter a value or leave the option out")
    if len(value) > limit:
        raise ValidationError(f"{option} is {len(value)} characters long: use at most {limit}")
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValidationError(f"{option} {value!r} contains a control character: remove it")
    return value
