"""``hub token`` commands: API tokens for scripts that call /api/v1."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.tokens import ApiToken, create_token, find_user_by_email, revoke_token_by_prefix
from hub.cli_support import reports_hub_errors, run_in_session


@click.group()
def token() -> None:
    """API tokens: bearer credentials for the JSON API under /api/v1."""


@token.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, shown in token lists (at most 80 characters).")
@click.option("--expires-days", type=int, default=None, help="Days until the token expires; default: never.")
@reports_hub_errors
def token_create(email: str, name: str, expires_days: int | None) -> None:
    """Create an API token for the user with EMAIL and print it once."""

    async def work(session: AsyncSession) -> tuple[ApiToken, str]:
        user = await find_user_by_email(session, email)
        return await create_token(session, user, name, expires_days)

    record, secret = run_in_session(work)
    expires = record.expires_at.strftime("%Y-%m-%d %H:%M UTC") if record.expires_at else "never"
    click.echo(f"token {record.prefix} created for {email} (name {record.name!r}; expires {expires})")
    click.echo(f"token: {secret}")
    click.echo("This token is shown only once; store it now.")


@token.command("revoke")
@click.argument("token_prefix")
@reports_hub_errors
def token_revoke(token_prefix: str) -> None:
    """Revoke the token whose prefix (hub_ plus 8 characters) is TOKEN_PREFIX."""

    async def work(session: AsyncSession) -> ApiToken:
        return await revoke_token_by_prefix(session, token_prefix)

    record = run_in_session(work)
    click.echo(f"token {record.prefix} revoked")
